from django.urls import path

from advisory.urls import portal_urlpatterns as advisory_urlpatterns
from compensation.urls import portal_urlpatterns as payment_urlpatterns

from . import decisions, rights_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("stories/<int:pk>/", views.story_detail, name="story"),
    # Her decision, one thing per page (decisions.py).
    path("stories/<int:pk>/decide/start/", decisions.start, name="decide_start"),
    path("stories/<int:pk>/decide/", decisions.decide, name="decide"),
    path("stories/<int:pk>/approve/places/", decisions.approve_places, name="approve_places"),
    path("stories/<int:pk>/approve/name/", decisions.approve_name, name="approve_name"),
    path("stories/<int:pk>/approve/photo/", decisions.approve_photo, name="approve_photo"),
    path("stories/<int:pk>/approve/until/", decisions.approve_until, name="approve_until"),
    path("stories/<int:pk>/approve/check/", decisions.approve_check, name="approve_check"),
    path("stories/<int:pk>/changes/", decisions.request_changes, name="request_changes"),
    path("stories/<int:pk>/edit/", views.edit, name="edit"),
    path("stories/<int:pk>/withdraw/", decisions.withdraw, name="withdraw"),
    path("stories/<int:pk>/withdraw/places/", decisions.withdraw_places, name="withdraw_places"),
    path("stories/<int:pk>/done/<uuid:receipt_id>/", decisions.decided, name="decided"),
    path("stories/<int:pk>/erase/", rights_views.erase, name="erase"),
    path("history/", views.history, name="history"),
    path("receipts/<uuid:receipt_id>/", views.receipt, name="receipt"),
    path("receipts/<uuid:receipt_id>.json", views.receipt_json, name="receipt_json"),
    path("contact/", views.contact, name="contact"),
    path("private-words/", views.private_words, name="private_words"),
    # Spliced in, not include()d, so every check that walks the portal's routes walks these.
    *payment_urlpatterns,
    *advisory_urlpatterns,
    path("my-data.json", rights_views.export, name="export"),
    path("welcome/<str:token>/", views.welcome, name="welcome"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("exit/", views.quick_exit, name="exit"),
    path("password-reset/", views.PortalPasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PortalPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
