"""The storyteller's "My payments" page in the portal: thin views over the services."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compensation import selectors, services
from compensation.models import PaymentPreference
from core.text.sanitise import clean_plain_text

from ..access import own_agreement, own_payment, own_story, portal_view
from ..forms import DONT_WANT_PAID, PaymentChoiceForm, ProblemForm


@portal_view
def payments(request):
    agreements = list(selectors.agreements_of(request.storyteller))
    preference = PaymentPreference.objects.filter(storyteller=request.storyteller).first()
    return render(
        request,
        "portal/payments.html",
        {
            "agreements": agreements,
            "balances": selectors.balances_of(agreements),
            "stories_without_agreement": selectors.stories_without_agreement(request.storyteller),
            "preference": preference,
        },
    )


def _back_to_payments(request, thanks):
    messages.success(request, thanks)
    return redirect("portal:payments")


@require_POST
@portal_view
def confirm_agreement(request, agreement_id):
    services.confirm_agreement(agreement=own_agreement(request, agreement_id), user=request.user)
    return _back_to_payments(request, _("Thank you. You confirmed this agreement."))


def _choice_page(request, *, agreement=None, story=None, currently_declined):
    form = PaymentChoiceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        decline = form.cleaned_data["paid"] == DONT_WANT_PAID
        choose = services.choose_not_to_be_paid if decline else services.choose_to_be_paid
        try:
            if decline != currently_declined:
                choose(
                    storyteller=request.storyteller,
                    agreement=agreement,
                    story=story,
                    user=request.user,
                )
        except services.PaymentRefused as refusal:
            form.add_error(None, refusal)
        else:
            if decline:
                return _back_to_payments(request, _("Saved. You chose not to be paid for this."))
            return _back_to_payments(request, _("Saved. The editors will arrange your payment."))
    return render(
        request,
        "portal/payment_choice.html",
        {
            "agreement": agreement,
            "story": story,
            "form": form,
            "currently_declined": currently_declined,
        },
    )


@portal_view
def agreement_choice(request, agreement_id):
    agreement = own_agreement(request, agreement_id)
    return _choice_page(request, agreement=agreement, currently_declined=agreement.is_declined())


@portal_view
def story_choice(request, pk):
    story = own_story(request, pk)
    if story.agreements.filter(storyteller=request.storyteller).exists():
        # The story's agreement is where the choice is made, so there is one place only.
        return redirect("portal:payments")
    choice = selectors.story_choice(story)
    declined = choice is not None and choice.response == choice.Response.DECLINED
    return _choice_page(request, story=story, currently_declined=declined)


@require_POST
@portal_view
def payment_received(request, payment_id):
    services.confirm_received(payment=own_payment(request, payment_id), user=request.user)
    return _back_to_payments(request, _("Thank you. You told us this payment reached you."))


@portal_view
def payment_problem(request, payment_id):
    payment = own_payment(request, payment_id)
    form = ProblemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.report_problem(
            payment=payment,
            user=request.user,
            message=clean_plain_text(form.cleaned_data["message"]),
        )
        return _back_to_payments(
            request, _("Your message was sent to the editors. They will get back to you.")
        )
    return render(request, "portal/payment_problem.html", {"payment": payment, "form": form})
