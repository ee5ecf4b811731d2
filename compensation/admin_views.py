"""Admin views for editors: recording payments and corrections, and in-person answers."""

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView

from core.redirects import safe_next

from . import money, selectors, services
from .forms import EndAgreementForm, InPersonDeclineForm, ReversalForm
from .models import Agreement, AgreementIsFixed, Payment, PaymentPreference, Work


class AgreementIndexView(IndexView):
    def get_base_queryset(self):
        # Balances and answers for the whole page in two more queries, not two per row.
        return selectors.with_answers(super().get_base_queryset())


class AgreementCreateView(CreateView):
    """ "Add an agreement" from a story's editor arrives with the storyteller and story set."""

    def get_add_url(self):
        # The form posts back here: keep where the editor came from (a story's editor).
        url = super().get_add_url()
        next_url = safe_next(self.request)
        return f"{url}?{urlencode({'next': next_url})}" if next_url else url

    def get_success_url(self):
        """Back to the story the editor came from, if they came from one; else the list."""
        return safe_next(self.request) or super().get_success_url()

    def get_initial_form_instance(self):
        agreement = Agreement(agreed_by=self.request.user)
        story_pk = self.request.GET.get("story", "")
        story = (
            apps.get_model("stories", "StoryPage").objects.filter(pk=story_pk).first()
            if story_pk.isdigit()
            else None
        )
        if story is not None:
            agreement.story = story
            agreement.storyteller_id = story.storyteller_id
            agreement.work = Work.STORY
        advisory = self.request.GET.get("advisory_review")
        if advisory and advisory.isdigit():
            self._prefill_advisory_work(agreement, int(advisory))
        return agreement

    def _prefill_advisory_work(self, agreement, review_pk):
        """Paying a storyteller for the advisory review they did: who, and for what."""
        from advisory.selectors import review_for_payment

        review, storyteller = review_for_payment(review_pk)
        if storyteller is None:
            return
        agreement.storyteller = storyteller
        agreement.work = Work.ADVISORY
        agreement.basis = Agreement.Basis.HOURLY
        agreement.description = _("Advisory review of “%(campaign)s”") % {
            "campaign": review.revision.object_str
        }


class AgreementEditView(EditView):
    def form_valid(self, form):
        # The model has the last word (a payment or an answer may arrive as the form is sent).
        try:
            return super().form_valid(form)
        except AgreementIsFixed as refusal:
            form.add_error(None, refusal)
            return self.form_invalid(form)


class AgreementDeleteView(DeleteView):
    """Deleting is refused, with the reason, when it would lose what she is owed."""

    def get(self, request, *args, **kwargs):
        return self._refuse() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        refused = self._refuse()
        if refused:
            return refused
        try:
            return super().post(request, *args, **kwargs)
        except AgreementIsFixed:
            return self._refuse(force=True)

    def _refuse(self, force=False):
        refusal = self.object.deletion_refusal()
        if not refusal and not force:
            return None
        messages.error(self.request, refusal or _("This agreement can't be deleted now."))
        return redirect("compensation_end_agreement", self.object.pk)


def end_agreement(request, pk):
    """End an agreement with a reason; it stays, with its balance, for her and the editors."""
    if not request.user.has_perm("compensation.change_agreement"):
        raise PermissionDenied
    agreement = get_object_or_404(selectors.with_answers(Agreement.objects.all()), pk=pk)
    form = EndAgreementForm(request.POST if request.method == "POST" else None)
    ended = agreement.ending()
    if request.method == "POST" and ended is None and form.is_valid():
        try:
            services.end_agreement(
                agreement=agreement, reason=form.cleaned_data["reason"], recorded_by=request.user
            )
        except ValidationError as refusal:
            form.add_error(None, refusal)
        else:
            messages.success(
                request, _("The agreement is ended. What was agreed and paid stays on record.")
            )
            return redirect("compensation_agreements:index")
    return TemplateResponse(
        request,
        "compensation/admin/end_agreement.html",
        {"agreement": agreement, "balance": agreement.balance(), "ended": ended, "form": form},
    )


class PaymentIndexView(IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("storyteller", "agreement__story", "recorded_by")
            .prefetch_related("responses")
        )


class PaymentCreateView(CreateView):
    """Recording a payment adds an entry to the append-only ledger, through the service."""

    def get_initial_form_instance(self):
        payment = Payment()
        agreement = Agreement.objects.filter(pk=self.request.GET.get("agreement") or None).first()
        if agreement is not None:
            payment.agreement = agreement
            preference = PaymentPreference.objects.filter(
                storyteller_id=agreement.storyteller_id
            ).first()
            if preference is not None:
                payment.method = preference.method
        return payment

    def save_instance(self):
        data = self.form.cleaned_data
        payment = services.record_payment(
            agreement=data["agreement"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            method=data["method"],
            reference=data["reference"],
            recorded_by=self.request.user,
        )
        self.form.instance = payment
        return payment

    def form_valid(self, form):
        try:
            response = super().form_valid(form)
        except ValidationError as refusal:
            form.add_error(None, refusal)
            return self.form_invalid(form)
        balance = Agreement.objects.get(pk=self.object.agreement_id).balance()
        if balance.overpaid:
            messages.warning(
                self.request,
                _("This agreement is now paid %(amount)s more than was agreed.")
                % {"amount": money.format_money(balance.overpaid_by, balance.currency)},
            )
        return response


def correct_payment(request, pk):
    """Take back part or all of a payment with a correcting entry; the payment stays."""
    if not request.user.has_perm("compensation.add_payment"):
        raise PermissionDenied
    payment = get_object_or_404(
        Payment.objects.select_related("agreement", "storyteller"),
        pk=pk,
        kind=Payment.Kind.PAYMENT,
    )
    left = payment.reversible_amount()
    form = ReversalForm(
        request.POST if request.method == "POST" else None, initial={"amount": left}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.reverse_payment(
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                recorded_by=request.user,
            )
        except ValidationError as refusal:
            code = getattr(refusal, "code", None)
            form.add_error("amount" if code == "exceeds_payment" else None, refusal)
        else:
            messages.success(request, _("The correction is recorded in the payments ledger."))
            return redirect("compensation_payments:index")
    return TemplateResponse(
        request,
        "compensation/admin/correct_payment.html",
        {"payment": payment, "left": left, "form": form},
    )


def record_declined_in_person(request, pk):
    """Record that a storyteller said in person, before a witness, they'd rather not be paid."""
    story = get_object_or_404(apps.get_model("stories", "StoryPage"), pk=pk)
    if not request.user.has_perm("compensation.change_agreement"):
        raise PermissionDenied
    form = InPersonDeclineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.choose_not_to_be_paid(
                storyteller=story.storyteller,
                story=story,
                recorded_by=request.user,
                witness_name=form.cleaned_data["witness_name"],
            )
        except ValidationError as refusal:
            form.add_error(None, refusal)
        else:
            messages.success(request, _("Recorded: they chose not to be paid for this story."))
            return redirect("wagtailadmin_pages:edit", story.pk)
    return TemplateResponse(
        request, "compensation/admin/declined_in_person.html", {"story": story, "form": form}
    )
