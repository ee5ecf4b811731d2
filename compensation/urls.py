"""The portal's payment pages, added to the portal's own routes (consent/urls.py).

They join the portal's URL patterns rather than an include(), so the portal's ownership
test walks every one of them.
"""

from django.urls import path

from . import views

portal_urlpatterns = [
    path("payments/", views.payments, name="payments"),
    path(
        "payments/agreements/<uuid:agreement_id>/confirm/",
        views.confirm_agreement,
        name="payments_confirm_agreement",
    ),
    path(
        "payments/agreements/<uuid:agreement_id>/choice/",
        views.agreement_choice,
        name="payments_agreement_choice",
    ),
    path("payments/stories/<int:pk>/choice/", views.story_choice, name="payments_story_choice"),
    path(
        "payments/<uuid:payment_id>/received/",
        views.payment_received,
        name="payments_received",
    ),
    path("payments/<uuid:payment_id>/problem/", views.payment_problem, name="payments_problem"),
]
