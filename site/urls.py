from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.api.v3.urls import api as wagtail_api_v3
from wagtail.contrib.sitemaps.views import sitemap

from stories.views import ConsentedSitemap, StoriesFeed, search

urlpatterns = [
    path(settings.SAYSO_PORTAL_PREFIX.lstrip("/"), include("portal.urls")),
    path(settings.SAYSO_ADMIN_PREFIX.lstrip("/"), include(wagtailadmin_urls)),
    path("api/v3/", wagtail_api_v3.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(
        settings.MEDIA_URL + "images/", document_root=settings.MEDIA_ROOT / "images"
    )

urlpatterns += [
    path("search/", search, name="search"),
    path("feed/", StoriesFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": {"pages": ConsentedSitemap}}, name="sitemap"),
    path("", include(wagtail_urls)),
]

handler403 = "sayso.errors.permission_denied"
handler404 = "sayso.errors.page_not_found"
handler500 = "sayso.errors.server_error"
