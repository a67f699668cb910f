from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from catalogue.urls import site_urlpatterns
from catalogue.views import audit
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
    # Password reset by email: Django's views with our forms, pages and audit records.
    path("accounts/password/reset/", audit.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        audit.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        audit.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        audit.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("", include("catalogue.urls")),
    path("", include("assessments.urls")),
]
