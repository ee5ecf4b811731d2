"""Photos in object storage: originals in a private bucket, renditions in a public one.

No cloud is reachable here, so each test talks to moto's S3 server, started on loopback by the
fixture below, through django-storages exactly as production would.
"""

import re
import socket
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from images.models import FileTakedown, SaysoImage, SaysoRendition

from tests.integration.images.test_images import admin_add, upload
from tests.portal_flow import withdraw_in_portal

boto3 = pytest.importorskip("boto3", reason="object storage needs the s3 extra")
moto_server = pytest.importorskip("moto.server", reason="the S3 tests need moto[server]")

pytestmark = pytest.mark.django_db

# Set by the s3_server fixture: a free port, so two test runs on one machine can't collide
# (a taken port would leave moto's server thread dead and its start() waiting for ever).
ENDPOINT = None
PRIVATE, PUBLIC = "sayso-originals", "sayso-public"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sayso-test", "AWS_SECRET_ACCESS_KEY": "sayso-test-secret"}


def s3_storages(endpoint=None):
    """STORAGES as settings/base.py builds them from SAYSO_S3_* for this server."""
    common = {
        "endpoint_url": endpoint or ENDPOINT,
        "region_name": "us-east-1",
        "file_overwrite": False,
        "signature_version": "s3v4",
    }
    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **common,
                "bucket_name": PRIVATE,
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
            },
        },
        "renditions": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **common,
                "bucket_name": PUBLIC,
                "default_acl": "public-read",
                "querystring_auth": False,
                "custom_domain": None,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    global ENDPOINT
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    ENDPOINT = f"http://{host}:{port}"
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server, settings, monkeypatch):
    """Two empty buckets, and Sayso's storages pointing at them."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    # An unreachable server must fail fast, not after boto3's own retries.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    client = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1", **_lower())
    for bucket in (PRIVATE, PUBLIC):
        _empty(client, bucket)
        client.create_bucket(Bucket=bucket)
    settings.STORAGES = s3_storages()
    yield client
    for bucket in (PRIVATE, PUBLIC):
        _empty(client, bucket)


def _lower():
    return {name.lower(): value for name, value in CREDENTIALS.items()}


def _empty(client, bucket):
    try:
        for key in keys(client, bucket):
            client.delete_object(Bucket=bucket, Key=key)
        client.delete_bucket(Bucket=bucket)
    except client.exceptions.NoSuchBucket:
        pass


def keys(client, bucket):
    listing = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def fetch(url):
    """What an anonymous reader's browser gets for this address: (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.fixture
def uploaded_photo(s3, client, superuser):
    """A photo uploaded through the Wagtail admin's upload form, as an editor would."""
    client.force_login(superuser)
    response = admin_add(client, upload("jpeg"), title="The harbour wall")
    assert response.status_code == 302
    client.logout()
    return SaysoImage.objects.get(title="The harbour wall")


@pytest.fixture
def live_story(make_published_story, amara, uploaded_photo):
    return make_published_story(
        amara, slug="the-harbour", title="The harbour", image=uploaded_photo, image_alt="A wall."
    )


def image_addresses(html):
    return re.findall(r'(?:src|content|srcset)="([^"]+\.(?:jpg|jpeg|png|webp)[^"]*)"', html)


def test_an_uploaded_original_goes_to_the_private_bucket_only(s3, uploaded_photo):
    (original,) = keys(s3, PRIVATE)
    assert original == uploaded_photo.file.name
    assert original.startswith("original_images/")
    assert not any(key.startswith("original_images/") for key in keys(s3, PUBLIC))
    grants = s3.get_object_acl(Bucket=PRIVATE, Key=original)["Grants"]
    assert not [g for g in grants if g["Grantee"].get("URI", "").endswith("/AllUsers")]


def test_readers_get_unsigned_renditions_from_the_public_bucket_and_never_the_original(
    s3, live_story, uploaded_photo
):
    response = Client().get(live_story.url)
    assert response.status_code == 200
    html = response.content.decode()

    addresses = image_addresses(html)
    assert addresses, "the story shows its photo"
    for address in addresses:
        assert address.startswith(f"{ENDPOINT}/{PUBLIC}/images/"), address
        status, body = fetch(address)
        assert status == 200
        assert body[:2] == b"\xff\xd8" or body[:4] == b"RIFF"  # a picture, for anyone
    assert "X-Amz-Signature" not in html
    assert "X-Amz-Credential" not in html
    assert PRIVATE not in html
    assert uploaded_photo.file.name not in html
    # The renditions are in the public bucket, readable by anyone.
    rendition_keys = keys(s3, PUBLIC)
    assert rendition_keys
    assert {a.removeprefix(f"{ENDPOINT}/{PUBLIC}/") for a in addresses} <= set(rendition_keys)

    # The original can't be fetched without a signature…
    unsigned = f"{ENDPOINT}/{PRIVATE}/{uploaded_photo.file.name}"
    assert fetch(unsigned)[0] == 403
    # …and the admin's link to it is signed and short-lived.
    signed = uploaded_photo.file.url
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=300" in signed
    assert fetch(signed)[0] == 200


def test_the_content_security_policy_allows_the_public_bucket(s3_server):
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']); "
            "print(s.STORAGES['default']['OPTIONS']['bucket_name'], "
            "s.STORAGES['renditions']['OPTIONS']['bucket_name'], "
            "s.STORAGES['default']['OPTIONS']['querystring_auth'], "
            "s.STORAGES['renditions']['OPTIONS']['querystring_auth'], "
            "s.STORAGES['renditions']['OPTIONS']['default_acl'])",
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "sayso.settings.dev",
            "SAYSO_S3_PRIVATE_BUCKET": PRIVATE,
            "SAYSO_S3_PUBLIC_BUCKET": PUBLIC,
            "SAYSO_S3_ENDPOINT_URL": ENDPOINT,
        },
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"[\"'self'\", 'data:', '{ENDPOINT}']",
        f"{PRIVATE} {PUBLIC} True False public-read",
    ]


def test_withdrawal_deletes_the_renditions_from_the_bucket(
    s3, live_story, amara, uploaded_photo, client, django_capture_on_commit_callbacks
):
    assert Client().get(live_story.url).status_code == 200
    before = keys(s3, PUBLIC)
    assert before
    shown = image_addresses(Client().get(live_story.url).content.decode())

    client.force_login(amara.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = withdraw_in_portal(client, live_story)
    assert response.status_code == 302

    assert Client().get(live_story.url).status_code == 410
    assert keys(s3, PUBLIC) == []
    for address in shown:
        assert fetch(address)[0] == 404
    assert not SaysoRendition.objects.filter(image=uploaded_photo).exists()
    assert not FileTakedown.objects.exists()
    # The original stays, private, for the organisation's records.
    assert keys(s3, PRIVATE) == [uploaded_photo.file.name]
    call_command("check_takedowns")  # raises if any public file were left


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_bucket_that_cannot_be_reached_is_retried_by_the_task_until_the_files_are_gone(
    s3, s3_server, live_story, amara, uploaded_photo, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SAYSO_TASK_RETRY_SECONDS = 0
    settings.SAYSO_TASK_MAX_ATTEMPTS = 3
    assert Client().get(live_story.url).status_code == 200
    before = keys(s3, PUBLIC)
    assert before
    worker = ["db_worker", "--batch", "--no-startup-delay", "--no-reload", "--verbosity", "0"]
    call_command(*worker)  # whatever publishing queued

    # The bucket is unreachable (as in an outage) when the story is withdrawn.
    settings.STORAGES = s3_storages(endpoint=f"http://127.0.0.1:{closed_port()}")
    portal = Client()
    portal.force_login(amara.user)
    response = withdraw_in_portal(portal, live_story)
    assert response.status_code == 302
    assert Client().get(live_story.url).status_code == 410  # at once, whatever the bucket

    call_command(*worker)

    recorded = list(FileTakedown.objects.values_list("name", flat=True))
    assert sorted(recorded) == before
    assert all(t.attempts == 3 and t.last_error for t in FileTakedown.objects.all())
    assert keys(s3, PUBLIC) == before  # still there: the work is recorded, not forgotten
    tried = DBTaskResult.objects.filter(task_path__endswith="carry_out_file_takedowns_task")
    assert tried.count() == 3
    assert tried.order_by("-enqueued_at").first().exception_class_path == "core.tasks.GaveUp"

    # The bucket is back: the sweep's task finishes the take-down.
    settings.STORAGES = s3_storages()
    call_command("check_takedowns", "--enqueue")
    call_command(*worker)

    assert keys(s3, PUBLIC) == []
    assert not FileTakedown.objects.exists()


def test_no_public_door_hands_out_a_signed_or_private_address(s3, live_story, uploaded_photo):
    reader = Client()
    doors = [
        "/",
        live_story.get_parent().url,
        live_story.url,
        "/feed/",
        "/sitemap.xml",
        "/api/v3/pages/?fields=*",
        f"/api/v3/pages/{live_story.pk}/",
        f"/search/?query={live_story.title.split()[-1]}",
    ]
    shown_somewhere = False
    for door in doors:
        response = reader.get(door)
        assert response.status_code == 200, door
        body = response.content.decode()
        for secret in ("X-Amz-Signature", "X-Amz-Credential", "Signature=", PRIVATE):
            assert secret not in body, (door, secret)
        assert uploaded_photo.file.name not in body, door
        shown_somewhere = shown_somewhere or f"{ENDPOINT}/{PUBLIC}/images/" in body
    assert shown_somewhere
