from django.apps import apps
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from core.permissions import READ_ONLY, LedgerPolicy

from .admin_panels import StorytellerDecisionsPanel
from .admin_views import (
    StorytellerCreateView,
    StorytellerEditView,
    confirm_erasure,
    erasure_requests,
    invite,
    mark_notifications_read,
    record_in_person,
)
from .forms import StorytellerForm
from .models import ConsentEntry, Storyteller


class StorytellerViewSet(ModelViewSet):
    model = Storyteller
    icon = "user"
    menu_label = gettext_lazy("Storytellers")
    list_display = ["pseudonym", "contact_preference", "created_at"]
    search_fields = ["pseudonym"]
    inspect_view_enabled = True
    copy_view_enabled = False
    add_view_class = StorytellerCreateView
    edit_view_class = StorytellerEditView

    def get_form_class(self, for_update=False):
        return StorytellerForm


# The ledger is only ever added to by the consent services; nobody edits it here.
register_permission_policy(ConsentEntry, LedgerPolicy(ConsentEntry, refused=READ_ONLY))


class ConsentLedgerViewSet(ModelViewSet):
    model = ConsentEntry
    icon = "list-ul"
    menu_label = gettext_lazy("Consent ledger")
    list_display = ["sequence", "created_at", "storyteller", "story", "decision", "method"]
    list_filter = ["decision", "method", "storyteller"]
    inspect_view_enabled = True
    copy_view_enabled = False
    # Never rendered: the policy refuses add, change and delete to everyone.
    form_fields = ["decision"]
    inspect_view_fields_exclude = ["previous_hash"]


class ConsentViewSetGroup(ModelViewSetGroup):
    menu_label = gettext_lazy("Consent")
    menu_icon = "tick-inverse"
    items = (StorytellerViewSet("storytellers"), ConsentLedgerViewSet("consent_ledger"))


@hooks.register("register_admin_viewset")
def register_consent_viewsets():
    return ConsentViewSetGroup()


@hooks.register("before_delete_page")
def keep_stories_with_a_consent_history(request, page):
    """A story's consent history is evidence; the page that it names stays."""
    if ConsentEntry.objects.filter(story_id=page.pk).exists():
        messages.error(
            request,
            _("This story has a consent history, so it can't be deleted. Unpublish it instead."),
        )
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("before_copy_page")
def refuse_copies_of_stories_under_erasure(request, page):
    """A copy or alias would keep the words she asked to erase (consent.erasure says why);
    a parent's copy would copy them along, so its stories are checked too."""
    StoryPage = apps.get_model("stories", "StoryPage")
    from .erasure import CopyRefused, refuse_copy_of_story_under_erasure

    stories = StoryPage.objects.filter(path__startswith=page.path, alias_of__isnull=True)
    try:
        for story in stories:
            refuse_copy_of_story_under_erasure(story)
    except CopyRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None


@hooks.register("register_log_actions")
def register_consent_log_actions(actions):
    actions.register_action(
        "sayso.take_down",
        gettext_lazy("Taken down: consent withdrawn or ended"),
        gettext_lazy("Taken down because consent was withdrawn or ended"),
    )
    actions.register_action(
        "sayso.private_words",
        gettext_lazy("Taken down: it contains the storyteller's private words"),
        gettext_lazy("Taken down because it contains the storyteller's private words"),
    )
    actions.register_action(
        "sayso.superseded",
        gettext_lazy("Taken down: the storyteller's newest decision no longer covers it"),
        gettext_lazy(
            "Taken down because the storyteller approved a new version or narrowed what "
            "they agree to"
        ),
    )


@hooks.register("register_admin_urls")
def register_invitation_url():
    return [
        path("storytellers/<int:pk>/invite/", invite, name="consent_invite"),
        path("stories/<int:pk>/in-person/", record_in_person, name="consent_record_in_person"),
        path("notifications/read/", mark_notifications_read, name="consent_notifications_read"),
        path("erasure-requests/", erasure_requests, name="consent_erasure_requests"),
        path("erasure-requests/<int:pk>/", confirm_erasure, name="consent_confirm_erasure"),
    ]


class ErasureRequestsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("consent.confirm_erasure")


@hooks.register("register_admin_menu_item")
def register_erasure_requests_menu_item():
    return ErasureRequestsMenuItem(
        gettext_lazy("Erasure requests"),
        reverse_lazy("consent_erasure_requests"),
        icon_name="bin",
        order=10000,
    )


@hooks.register("construct_homepage_panels")
def add_storyteller_decisions_panel(request, panels):
    panels.append(StorytellerDecisionsPanel(request))
