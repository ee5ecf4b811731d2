"""The project as a whole: the demo seed, migrations, production settings, speed, admin access."""

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from wagtail.models import Page, Revision, WorkflowState

from consent.models import STORYTELLERS_GROUP, ConsentEntry, Storyteller
from images.models import SaysoImage
from stories.models import CampaignPage, CampaignStory, ContentWarning, StoryPage, Topic

from tests.conftest import PASSWORD, approve

BASE_DIR = Path(__file__).resolve().parents[3]

# Measured, then fixed: a story page and a campaign page each need this many queries at most,
# however long the campaign or the ledger grows.
STORY_PAGE_QUERIES = 13
CAMPAIGN_PAGE_QUERIES = 9


# The demo seed

DEMO_URLS = {
    "/": 200,
    "/stories/the-market-at-dawn/": 200,
    "/stories/a-kitchen-in-the-city/": 410,  # withdrawn
    "/stories/what-the-recruiter-said/": 410,  # consent ended
    "/stories/learning-to-sleep-again/": 404,  # waiting for its storyteller
    "/stories/the-fishing-boat/": 404,  # its storyteller asked for changes
    "/stories/notes-for-a-first-draft/": 404,  # a draft
    "/campaigns/fair-work/": 200,
}


def seed_demo(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def demo_state(client):
    return {
        "pages": Page.objects.count(),
        "live pages": Page.objects.live().count(),
        "revisions": Revision.objects.count(),
        "users": get_user_model().objects.count(),
        "storytellers": Storyteller.objects.count(),
        "ledger entries": ConsentEntry.objects.count(),
        "workflows": WorkflowState.objects.count(),
        "images": SaysoImage.objects.count(),
        "urls": {url: client.get(url).status_code for url in DEMO_URLS},
    }


@pytest.mark.django_db
def test_the_demo_seed_shows_a_story_in_every_state(client):
    output = seed_demo("--force")

    assert "Demo site ready" in output
    assert demo_state(client)["urls"] == DEMO_URLS
    assert set(StoryPage.objects.values_list("slug", flat=True)) == {
        url.split("/")[2] for url in DEMO_URLS if url.startswith("/stories/")
    }
    call_command("verify_ledger", stdout=io.StringIO())


@pytest.mark.django_db
def test_the_demo_seed_can_run_twice_without_changing_anything(client):
    seed_demo("--force")
    first = demo_state(client)

    seed_demo("--force")

    assert demo_state(client) == first
    assert first["urls"] == DEMO_URLS


@pytest.mark.django_db
def test_the_demo_seed_refuses_with_debug_off_unless_forced():
    with pytest.raises(CommandError, match="DEBUG is off"):
        seed_demo()

    assert not get_user_model().objects.filter(username__in=["amara", "lucia"]).exists()
    assert not StoryPage.objects.exists()


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_the_demo_seed_runs_without_force_when_debug_is_on():
    assert "Demo site ready" in seed_demo()
    assert StoryPage.objects.count() == 6


# Migrations


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    out = io.StringIO()

    # --check exits non-zero when a migration is missing.
    call_command("makemigrations", "--check", "--dry-run", stdout=out)

    assert "No changes detected" in out.getvalue()


# Production settings


def run_with_production_settings(args, **env):
    # A fresh process as a server would start: none of this test run's Django variables
    # (other tests set DJANGO_ALLOW_ASYNC_UNSAFE for the browser, which check --deploy flags).
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "EMAIL_URL", "SAYSO_TASKS_BACKEND"}
        and not key.startswith("DJANGO_")
    }
    environment.update(DJANGO_SETTINGS_MODULE="sayso.settings.production", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


START_DJANGO = ["-c", "import django; django.setup(); print('started')"]


def test_production_refuses_to_start_without_a_secret_key():
    result = run_with_production_settings(START_DJANGO)

    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_to_start_with_an_empty_secret_key():
    result = run_with_production_settings(START_DJANGO, SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = run_with_production_settings(
        START_DJANGO, SECRET_KEY=secrets.token_urlsafe(50), DEBUG="on"
    )

    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr
    assert "started" not in result.stdout


def fernet_key():
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def test_production_refuses_to_start_without_encryption_keys():
    result = run_with_production_settings(START_DJANGO, SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode != 0
    assert "SAYSO_ENCRYPTION_KEYS must be set in production" in result.stderr


SMTP = "smtp+tls://sayso:secret@smtp.example.org:587"


def test_production_refuses_to_start_without_an_email_configuration():
    result = run_with_production_settings(
        START_DJANGO, SECRET_KEY=secrets.token_urlsafe(50), SAYSO_ENCRYPTION_KEYS=fernet_key()
    )

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: EMAIL_URL must be set" in result.stderr
    assert "started" not in result.stdout


@pytest.mark.parametrize("email_url", ["", "consolemail://"])
def test_production_refuses_an_empty_or_console_email_configuration(email_url):
    result = run_with_production_settings(
        START_DJANGO,
        SECRET_KEY=secrets.token_urlsafe(50),
        SAYSO_ENCRYPTION_KEYS=fernet_key(),
        EMAIL_URL=email_url,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_URL must" in result.stderr
    assert "started" not in result.stdout


def test_production_starts_with_a_secret_key_and_debug_off():
    result = run_with_production_settings(
        START_DJANGO,
        SECRET_KEY=secrets.token_urlsafe(50),
        SAYSO_ENCRYPTION_KEYS=fernet_key(),
        EMAIL_URL=SMTP,
    )

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_sends_through_the_configured_server_and_queues_tasks_for_the_worker():
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS); "
        "print(s.TASKS['default']['BACKEND'])"
    )
    result = run_with_production_settings(
        ["-c", show],
        SECRET_KEY=secrets.token_urlsafe(50),
        SAYSO_ENCRYPTION_KEYS=fernet_key(),
        EMAIL_URL=SMTP,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "django.core.mail.backends.smtp.EmailBackend smtp.example.org 587 True",
        "django_tasks_db.DatabaseBackend",
    ]


def test_the_deployment_checklist_is_clean_in_production():
    result = run_with_production_settings(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=secrets.token_urlsafe(50),
        SAYSO_ENCRYPTION_KEYS=fernet_key(),
        ALLOWED_HOSTS="stories.example.org",
        EMAIL_URL=SMTP,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


# Speed: pages cost a fixed number of queries


def publish_story(make_story, storyteller, slug, photo=None, editor=None):
    fields = {"title": f"Story {slug}"}
    if photo is not None:
        fields.update(image=photo, image_alt="A field at dusk.")
    story = make_story(storyteller, slug=slug, **fields)
    story.content_warnings = [ContentWarning.objects.get_or_create(name="Violence")[0]]
    story.topics = [Topic.objects.get_or_create(name="Labour", slug="labour")[0]]
    story.save_revision(user=editor)
    approve(story, storyteller, image_allowed=photo is not None)
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


def warm_get(client, url):
    """Request a page once so one-time work (image renditions, site caches) is done."""
    cache.clear()
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_story_page_renders_in_a_bounded_number_of_queries(
    client, make_story, amara, photo, editor, django_assert_max_num_queries
):
    story = publish_story(make_story, amara, "counted", photo=photo, editor=editor)
    # A longer consent history must not cost more queries.
    approve(story, amara, image_allowed=True)
    approve(story, amara, image_allowed=True)
    warm_get(client, story.url)

    with django_assert_max_num_queries(STORY_PAGE_QUERIES):
        response = client.get(story.url)

    assert response.status_code == 200
    assert "Story counted" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("stories", [1, 10])
def test_a_campaign_page_costs_the_same_however_many_stories_it_lists(
    stories, client, make_story, amara, campaign_index, editor, django_assert_max_num_queries
):
    published = [
        publish_story(make_story, amara, f"story-{n}", editor=editor) for n in range(stories)
    ]
    campaign = CampaignPage(title="Fair work", slug="fair-work")
    campaign.campaign_stories = [
        CampaignStory(story=story, sort_order=n) for n, story in enumerate(published)
    ]
    campaign_index.add_child(instance=campaign)
    campaign.save_revision(user=editor).publish()
    warm_get(client, campaign.url)

    with django_assert_max_num_queries(CAMPAIGN_PAGE_QUERIES):
        response = client.get(campaign.url)

    html = response.content.decode()
    assert response.status_code == 200
    assert all(f"Story story-{n}" in html for n in range(stories))


# Storytellers never get the Wagtail admin


ADMIN_URLS = ["/admin/", "/admin/pages/", "/admin/consent_ledger/", "/admin/storytellers/"]


def assert_turned_away(response):
    """Sent to her own space, the portal: not to an admin page, nor to the admin's login."""
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_URLS)
def test_a_storyteller_is_turned_away_from_the_admin(client, amara, url):
    assert amara.user.groups.filter(name=STORYTELLERS_GROUP).exists()
    client.force_login(amara.user)

    assert_turned_away(client.get(url))


@pytest.mark.django_db
def test_a_storyteller_signing_in_at_the_admin_login_still_gets_no_admin(client, amara, home):
    client.post("/admin/login/", {"username": "amara", "password": PASSWORD})

    response = client.get("/admin/")

    assert_turned_away(response)
    assert "wagtail-sidebar-props" not in response.content.decode()


@pytest.mark.django_db
def test_a_storyteller_cannot_edit_their_own_story_in_the_admin(client, make_story, amara):
    story = make_story(amara)
    client.force_login(amara.user)

    response = client.get(f"/admin/pages/{story.pk}/edit/")

    assert_turned_away(response)
    assert "The words the storyteller will read." not in response.content.decode()


@pytest.mark.django_db
def test_a_storyteller_has_no_admin_permission(amara):
    user = get_user_model().objects.get(pk=amara.user.pk)

    assert not user.is_staff
    assert not user.is_superuser
    assert not user.has_perm("wagtailadmin.access_admin")


@pytest.mark.django_db
def test_an_editor_can_open_the_admin(client, editor):
    client.force_login(editor)

    assert client.get("/admin/").status_code == 200


# The demo's port, absolute links and documented settings (issue 13, item 10).

SETTING_READS = [
    # env("X"), env.int("X"), env.bool("X"), env.list("X") …, across line breaks
    r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']",
    r"os\.environ(?:\.get|\.setdefault)?[\(\[]\s*[\"']([A-Z][A-Z0-9_]+)[\"']",
    r"os\.getenv\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']",
    r"getattr\(\s*settings,\s*[\"'](SAYSO_[A-Z0-9_]+)[\"']",
]


def settings_the_code_reads():
    """Every environment variable and SAYSO_ setting read anywhere outside the tests."""
    import re

    names = {}
    skipped = {".venv", "tests", "node_modules", ".git", "var"}
    for path in BASE_DIR.rglob("*.py"):
        if skipped & set(path.relative_to(BASE_DIR).parts):
            continue
        text = path.read_text()
        for pattern in SETTING_READS:
            for name in re.findall(pattern, text):
                names.setdefault(name, str(path.relative_to(BASE_DIR)))
    return names


def test_the_readme_lists_every_setting_the_code_reads():
    readme = (BASE_DIR / "README.md").read_text()
    configuration = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    read = settings_the_code_reads()

    missing = {name: where for name, where in read.items() if f"`{name}`" not in configuration}

    assert not missing, (
        f"Settings read by the code but not in the README's Configuration: {missing}"
    )
    # The check finds what it is meant to (so an empty result can't pass by accident).
    for name in (
        "SAYSO_QUICK_EXIT_URL",
        "SAYSO_ORG_NAME",
        "SAYSO_PORTAL_IDLE_SECONDS",
        "SAYSO_PAGE_CACHE_STAMP",
        "GUNICORN_BIND",
        "WAGTAILADMIN_BASE_URL",
    ):
        assert name in read, name


def _run_make_demo(tmp_path, env=None, *args):
    """`make demo` with a stand-in python that records each command and its base URL."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "commands"
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\necho "$WAGTAILADMIN_BASE_URL $*" >> {record}\n')
    python.chmod(0o755)
    stamp = tmp_path / "stamp"
    stamp.touch()  # newer than the stand-in python and pyproject.toml: nothing to install
    environment = {k: v for k, v in os.environ.items() if k != "WAGTAILADMIN_BASE_URL"}
    environment.update(env or {})
    command = ["make", "--no-print-directory", "demo", f"BIN={bin_dir}", f"STAMP={stamp}", *args]
    subprocess.run(  # noqa: S603 - our own Makefile, our own arguments
        command,  # noqa: S607 - make from the PATH
        cwd=BASE_DIR,
        env=environment,
        check=True,
        capture_output=True,
    )
    return record.read_text().splitlines()


def test_make_demo_serves_on_port_8000_by_default(tmp_path):
    assert _run_make_demo(tmp_path) == [
        "http://127.0.0.1:8000 manage.py migrate --noinput",
        "http://127.0.0.1:8000 manage.py seed_demo",
        "http://127.0.0.1:8000 manage.py runserver 127.0.0.1:8000",
    ]


def test_make_demo_takes_a_port_and_its_links_follow(tmp_path):
    assert _run_make_demo(tmp_path, None, "PORT=8001") == [
        "http://127.0.0.1:8001 manage.py migrate --noinput",
        "http://127.0.0.1:8001 manage.py seed_demo",
        "http://127.0.0.1:8001 manage.py runserver 127.0.0.1:8001",
    ]


def test_make_demo_keeps_a_base_url_set_in_the_environment(tmp_path):
    commands = _run_make_demo(
        tmp_path, {"WAGTAILADMIN_BASE_URL": "https://demo.example.org"}, "PORT=8002"
    )
    assert commands[-1] == "https://demo.example.org manage.py runserver 127.0.0.1:8002"


@pytest.mark.django_db
@override_settings(WAGTAILADMIN_BASE_URL="http://127.0.0.1:8001")
def test_the_seeded_sites_absolute_links_follow_the_configured_address(client):
    import re

    from wagtail.models import Site

    seed_demo("--force")

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8001)
    feed = client.get("/feed/", HTTP_HOST="127.0.0.1:8001").content.decode()
    sitemap = client.get("/sitemap.xml", HTTP_HOST="127.0.0.1:8001").content.decode()
    for document in (feed, sitemap):
        links = re.findall(r"https?://[^\s<\"]+", document)
        site_links = [link for link in links if "127.0.0.1" in link or "localhost" in link]
        assert site_links, document[:300]
        assert all(link.startswith("http://127.0.0.1:8001/") for link in site_links), site_links

    # Seeding again at another address moves the site with it.
    with override_settings(WAGTAILADMIN_BASE_URL="http://127.0.0.1:8003"):
        seed_demo("--force")
    site.refresh_from_db()
    assert (site.hostname, site.port) == ("127.0.0.1", 8003)


@pytest.mark.django_db
@override_settings(WAGTAILADMIN_BASE_URL="http://127.0.0.1:8001")
def test_emails_link_to_the_configured_address(
    mailoutbox, make_story, amara_by_email, django_capture_on_commit_callbacks
):
    from consent.notifications import notify_storyteller_ready

    with django_capture_on_commit_callbacks(execute=True):
        notify_storyteller_ready(make_story(amara_by_email))

    assert len(mailoutbox) == 1
    assert "http://127.0.0.1:8001/my/" in mailoutbox[0].body
    assert ":8000" not in mailoutbox[0].body
