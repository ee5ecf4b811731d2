"""The storyteller portal's routes, under SAYSO_PORTAL_PREFIX (/my/).

One list, so every check that walks the portal's routes walks all of them; the sign-in
pages are accounts' views but keep their portal names (portal:login, …).
"""

from django.urls import path

from accounts import views as accounts_views

from .views import campaigns, decisions, payments, profile, reading, receipts, rights, stories

app_name = "portal"

urlpatterns = [
    path("", stories.home, name="home"),
    path("stories/<int:pk>/", stories.story_detail, name="story"),
    # Her decision, one thing per page.
    path("stories/<int:pk>/decide/start/", decisions.start, name="decide_start"),
    path("stories/<int:pk>/decide/", decisions.decide, name="decide"),
    path("stories/<int:pk>/approve/places/", decisions.approve_places, name="approve_places"),
    path("stories/<int:pk>/approve/name/", decisions.approve_name, name="approve_name"),
    path("stories/<int:pk>/approve/photo/", decisions.approve_photo, name="approve_photo"),
    path("stories/<int:pk>/approve/until/", decisions.approve_until, name="approve_until"),
    path("stories/<int:pk>/approve/check/", decisions.approve_check, name="approve_check"),
    path("stories/<int:pk>/changes/", decisions.request_changes, name="request_changes"),
    path("stories/<int:pk>/edit/", stories.edit, name="edit"),
    path("stories/<int:pk>/withdraw/", decisions.withdraw, name="withdraw"),
    path("stories/<int:pk>/withdraw/places/", decisions.withdraw_places, name="withdraw_places"),
    path("stories/<int:pk>/done/<uuid:receipt_id>/", decisions.decided, name="decided"),
    path("stories/<int:pk>/erase/", rights.erase, name="erase"),
    path("stories/<int:pk>/what-changed/", reading.what_changed, name="what_changed"),
    path("history/", receipts.history, name="history"),
    path("receipts/<uuid:receipt_id>/", receipts.receipt, name="receipt"),
    path("receipts/<uuid:receipt_id>.json", receipts.receipt_json, name="receipt_json"),
    path("contact/", profile.contact, name="contact"),
    path("private-words/", stories.private_words, name="private_words"),
    path("payments/", payments.payments, name="payments"),
    path(
        "payments/agreements/<uuid:agreement_id>/confirm/",
        payments.confirm_agreement,
        name="payments_confirm_agreement",
    ),
    path(
        "payments/agreements/<uuid:agreement_id>/choice/",
        payments.agreement_choice,
        name="payments_agreement_choice",
    ),
    path("payments/stories/<int:pk>/choice/", payments.story_choice, name="payments_story_choice"),
    path(
        "payments/<uuid:payment_id>/received/",
        payments.payment_received,
        name="payments_received",
    ),
    path("payments/<uuid:payment_id>/problem/", payments.payment_problem, name="payments_problem"),
    path("campaigns/", campaigns.campaigns, name="advisory_campaigns"),
    path("campaigns/<int:pk>/", campaigns.campaign, name="advisory_campaign"),
    path(
        "campaigns/<int:pk>/approve/",
        campaigns.answer_campaign,
        {"answer": "approve"},
        name="advisory_approve",
    ),
    path(
        "campaigns/<int:pk>/changes/",
        campaigns.answer_campaign,
        {"answer": "changes"},
        name="advisory_changes",
    ),
    path("my-data.json", rights.export, name="export"),
    path("my-data/", reading.my_data, name="my_data"),
    path("my-data/to-read/", reading.my_data_readable, name="my_data_readable"),
    path("staying-safe/", reading.staying_safe, name="staying_safe"),
    path("welcome/<str:token>/", accounts_views.welcome, name="welcome"),
    path("login/", accounts_views.PortalLoginView.as_view(), name="login"),
    path("logout/", accounts_views.PortalLogoutView.as_view(), name="logout"),
    path("exit/", accounts_views.quick_exit, name="exit"),
    path(
        "password-reset/", accounts_views.PortalPasswordResetView.as_view(), name="password_reset"
    ),
    path("password-reset/sent/", accounts_views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts_views.PortalPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
