"""Admin views for editors: handing a storyteller their invitation link."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from wagtail.admin.views.generic import CreateView

from . import services
from .models import Storyteller


class StorytellerCreateView(CreateView):
    """After creating a storyteller, go straight to making their invitation link."""

    def get_success_url(self):
        return reverse("consent_invite", args=[self.object.pk])


def invite(request, pk):
    """Make a single-use invitation link, shown once, to hand over in person."""
    if not request.user.has_perm("consent.change_storyteller"):
        raise PermissionDenied
    storyteller = get_object_or_404(Storyteller, pk=pk)
    context = {"storyteller": storyteller}
    if request.method == "POST":
        invitation, token = services.create_invitation(
            storyteller=storyteller, created_by=request.user
        )
        context["invitation"] = invitation
        context["link"] = request.build_absolute_uri(reverse("portal:welcome", args=[token]))
    response = TemplateResponse(request, "consent/admin/invite.html", context)
    response["Cache-Control"] = "no-store"
    return response
