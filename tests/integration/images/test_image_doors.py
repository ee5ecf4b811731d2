"""The other doors that store images: bulk writes and uploads Wagtail keeps aside.

Each test reads the files that appeared on disk, byte by byte, for the camera's traces.
"""

import io
import json
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Collection, UploadedFile

from images.models import SaysoImage

from tests.integration.images.test_images import (
    FORMATS,
    TELLTALE_BYTES,
    assert_carries_no_metadata,
    assert_nothing_leaks,
    keep_upload_aside,
    telltale_photo,
)

pytestmark = pytest.mark.django_db


def files_on_disk():
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()}


def assert_no_new_file_carries_a_trace(before):
    new_files = files_on_disk() - before
    assert new_files, "nothing was written: the check would say nothing"
    for path in new_files:
        data = path.read_bytes()
        for telltale in TELLTALE_BYTES:
            assert telltale not in data, (path, telltale)


def test_bulk_create_stores_photos_without_metadata():
    before = files_on_disk()
    images = [
        SaysoImage(
            title=f"Bulk {kind}",
            file=ImageFile(io.BytesIO(telltale_photo(kind)), name=f"bulk.{FORMATS[kind][1]}"),
        )
        for kind in FORMATS
    ]

    SaysoImage.objects.bulk_create(images)

    assert_no_new_file_carries_a_trace(before)
    for image in SaysoImage.objects.filter(title__startswith="Bulk "):
        assert_nothing_leaks(image)
        assert image.file_size == image.file.size


def test_files_cannot_be_swapped_in_bulk(photo):
    photo.file.name = "original_images/someone-elses.jpg"

    with pytest.raises(ValueError, match="can't be changed in bulk"):
        SaysoImage.objects.bulk_update([photo], ["file"])

    SaysoImage.objects.bulk_update([photo], ["title"])  # other fields still can be


def test_an_upload_kept_aside_is_on_disk_without_metadata(superuser_client):  # noqa: F811
    before = files_on_disk()

    kept = keep_upload_aside(superuser_client)

    assert_no_new_file_carries_a_trace(before)
    with kept.file.storage.open(kept.file.name, "rb") as handle:
        assert_carries_no_metadata(handle.read())


def test_an_upload_kept_aside_and_then_finished_leaves_no_trace(superuser_client):  # noqa: F811
    before = files_on_disk()
    kept = keep_upload_aside(superuser_client)

    response = superuser_client.post(
        reverse("wagtailimages:create_multiple_from_uploaded_image", args=[kept.pk]),
        {
            f"uploaded-image-{kept.pk}-title": "Finished later",
            f"uploaded-image-{kept.pk}-collection": Collection.get_first_root_node().pk,
            f"uploaded-image-{kept.pk}-tags": "",
            f"uploaded-image-{kept.pk}-description": "",
        },
    )

    assert json.loads(response.content)["success"] is True
    assert_nothing_leaks(SaysoImage.objects.get(title="Finished later"))
    assert_no_new_file_carries_a_trace(before)


def test_abandoned_uploads_are_cleared_and_recent_ones_kept(superuser_client):  # noqa: F811
    abandoned = keep_upload_aside(superuser_client)
    recent = keep_upload_aside(superuser_client)
    abandoned_path = Path(abandoned.file.path)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(abandoned_path, (two_days_ago, two_days_ago))
    output = io.StringIO()

    call_command("clear_abandoned_uploads", stdout=output)

    assert not abandoned_path.exists()
    assert list(UploadedFile.objects.values_list("pk", flat=True)) == [recent.pk]
    assert Path(recent.file.path).exists()
    assert "Deleted 1 abandoned upload(s)." in output.getvalue()
