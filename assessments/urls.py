from django.urls import path

from . import views

app_name = "assessments"

urlpatterns = [
    path("o/<slug:org>/balance/", views.balance, name="balance"),
    path("o/<slug:org>/balance/status/", views.report_status, name="report_status"),
    path("o/<slug:org>/balance/recompute/", views.recompute, name="recompute"),
    path("o/<slug:org>/balance/reports/<int:report_id>/", views.report_detail, name="report"),
    path("o/<slug:org>/balance/method/", views.method, name="method"),
    path("o/<slug:org>/balance/thresholds/", views.thresholds, name="thresholds"),
    path("o/<slug:org>/file/import/", views.import_file, name="import_file"),
    path("o/<slug:org>/file/export/", views.export_file, name="export_file"),
]
