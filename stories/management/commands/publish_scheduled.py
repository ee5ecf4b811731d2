"""Wagtail's publish_scheduled, made safe for stories: unconsented schedules are cancelled."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.management.commands.publish_scheduled import Command as WagtailCommand
from wagtail.models import Revision

from consent.exceptions import ConsentRequired
from consent.selectors import revision_verdict


class Command(WagtailCommand):
    def handle(self, *args, **options):
        if not options.get("dryrun"):
            self.publish_due_stories()
        super().handle(*args, **options)

    def publish_due_stories(self):
        from stories.models import StoryPage

        due = Revision.objects.filter(
            approved_go_live_at__lt=timezone.now(),
            content_type=ContentType.objects.get_for_model(StoryPage),
        ).order_by("approved_go_live_at")
        for revision in due:
            verdict = revision_verdict(revision)
            try:
                if not verdict.allowed:
                    raise ConsentRequired(verdict.reason)
                with transaction.atomic():
                    revision.publish(log_action="wagtail.publish.scheduled")
            except ConsentRequired as refusal:
                # Publishing runs without a user here, so nobody else would notice: cancel
                # the schedule and say so, rather than retry the same refusal forever.
                revision.approved_go_live_at = None
                revision.save(update_fields=["approved_go_live_at"])
                self.stderr.write(
                    f"Not published: story {revision.object_id} ({revision.object_str}): {refusal}"
                )
