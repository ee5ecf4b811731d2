from django.urls import path

from advisory.urls import portal_urlpatterns as advisory_urlpatterns
from compensation.urls import portal_urlpatterns as payment_urlpatterns

from . import reading_views, rights_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("stories/<int:pk>/", views.story_detail, name="story"),
    path("stories/<int:pk>/approve/", views.approve, name="approve"),
    path("stories/<int:pk>/changes/", views.request_changes, name="request_changes"),
    path("stories/<int:pk>/edit/", views.edit, name="edit"),
    path("stories/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("stories/<int:pk>/erase/", rights_views.erase, name="erase"),
    path("stories/<int:pk>/what-changed/", reading_views.what_changed, name="what_changed"),
    path("history/", views.history, name="history"),
    path("receipts/<uuid:receipt_id>/", views.receipt, name="receipt"),
    path("receipts/<uuid:receipt_id>.json", views.receipt_json, name="receipt_json"),
    path("contact/", views.contact, name="contact"),
    path("private-words/", views.private_words, name="private_words"),
    # Spliced in, not include()d, so every check that walks the portal's routes walks these.
    *payment_urlpatterns,
    *advisory_urlpatterns,
    path("my-data.json", rights_views.export, name="export"),
    path("my-data/", reading_views.my_data, name="my_data"),
    path("my-data/to-read/", reading_views.my_data_readable, name="my_data_readable"),
    path("staying-safe/", reading_views.staying_safe, name="staying_safe"),
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
