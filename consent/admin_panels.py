from wagtail.admin.ui.components import Component

from .models import Notification


class StorytellerDecisionsPanel(Component):
    """The admin home panel telling editors what storytellers decided, newest first."""

    name = "storyteller_decisions"
    order = 50
    template_name = "consent/admin/decisions_panel.html"

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        unread = (
            Notification.objects.filter(recipient=self.request.user, read_at__isnull=True)
            .exclude(kind=Notification.Kind.READY_FOR_STORYTELLER)
            .select_related("story", "storyteller")
        )
        return {"notifications": unread[:20], "unread_count": unread.count()}
