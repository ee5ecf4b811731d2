"""Delete uploads Wagtail's multiple upload kept aside and nobody finished."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone
from wagtail.models import UploadedFile


class Command(BaseCommand):
    help = (
        "Delete files uploaded through the multiple upload that nobody turned into an image "
        "or document within the given hours (default 24), and their records."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args, hours, **options):
        cutoff = timezone.now() - timedelta(hours=hours)
        deleted = 0
        for upload in UploadedFile.objects.order_by("pk").iterator():
            # The record keeps no date; the file's own is when it was uploaded. A record
            # whose file is already gone is abandoned whatever its age.
            if upload.file and upload.file.storage.exists(upload.file.name):
                if upload.file.storage.get_modified_time(upload.file.name) >= cutoff:
                    continue
                upload.file.delete(save=False)
            upload.delete()
            deleted += 1
        self.stdout.write(f"Deleted {deleted} abandoned upload(s).")
