from django.contrib import admin
from django.urls import include, path

from catalogue.urls import site_urlpatterns
from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    *site_urlpatterns,
    path("", include("catalogue.urls")),
    path("", include("assessments.urls")),
]
