from django.urls import path

from . import views

# Spliced into the portal's urlpatterns (consent.urls), so every check that walks the
# portal's routes walks these too.
portal_urlpatterns = [
    path("campaigns/", views.campaigns, name="advisory_campaigns"),
    path("campaigns/<int:pk>/", views.campaign, name="advisory_campaign"),
    path("campaigns/<int:pk>/approve/", views.approve, name="advisory_approve"),
    path("campaigns/<int:pk>/changes/", views.ask_for_changes, name="advisory_changes"),
]
