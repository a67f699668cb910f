from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from catalogue.urls import site_urlpatterns
from config.api import api, api_not_found

api_patterns, api_app, api_namespace = api.urls
# Anything else under /api/ (an id that is not a number, a path that does not exist) is the
# API's JSON 404, not the site's HTML page.
api_patterns = [
    *(p for p in api_patterns if getattr(p, "name", "") != "api-root"),
    path("", RedirectView.as_view(pattern_name="api:openapi-view"), name="api-root"),
    re_path(r"", api_not_found, name="not_found"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, api_app), namespace=api_namespace)),
    *site_urlpatterns,
    path("", include("catalogue.urls")),
    path("", include("assessments.urls")),
]
