"""How she would like to be reached."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..access import portal_view
from ..forms import ContactForm


@portal_view
def contact(request):
    storyteller = request.storyteller
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                storyteller.contact_preference = form.cleaned_data["contact_preference"]
                storyteller.save(update_fields=["contact_preference"])
                request.user.email = form.cleaned_data["email"]
                request.user.save(update_fields=["email"])
            messages.success(request, _("Saved."))
            return redirect("portal:home")
    else:
        form = ContactForm(
            initial={
                "contact_preference": storyteller.contact_preference,
                "email": request.user.email,
            }
        )
    return render(request, "portal/contact.html", {"form": form})
