"""Uploads Wagtail keeps aside are stripped before they touch the disk.

When a multiple upload's file is fine but another field is not (a file name too long for a
title, say), Wagtail stores the raw upload as a ``wagtail.models.UploadedFile`` under
``wagtail_uploads/`` until the editor completes the form, and leaves it there if they never
do. A photo's GPS position must not wait on disk for that, so the file is re-encoded from
its pixels before the row is written; ``clear_abandoned_uploads`` removes the ones nobody
finished.
"""

import os

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db.models.signals import pre_save
from django.dispatch import receiver
from wagtail.images import get_image_model
from wagtail.models import UploadedFile

from .metadata import strip_metadata


@receiver(pre_save, sender=UploadedFile)
def strip_an_upload_kept_aside(sender, instance, raw=False, **kwargs):
    if raw or not instance.file or instance.file._committed:
        return
    if instance.for_content_type_id != ContentType.objects.get_for_model(get_image_model()).pk:
        return
    upload = instance.file
    upload.open("rb")
    stripped = strip_metadata(upload)
    instance.file = ContentFile(stripped.content, name=os.path.basename(upload.name))
