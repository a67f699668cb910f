from django.urls import path

from .views import decision_files, decisions, flags, notifications, portfolio, reports, rounds

app_name = "assessments"

ORG = "o/<slug:org>/"

urlpatterns = [
    # Balance reports, the method and its thresholds, the organisation file.
    path(ORG + "balance/", reports.balance, name="balance"),
    path(ORG + "balance/status/", reports.report_status, name="report_status"),
    path(ORG + "balance/recompute/", reports.recompute, name="recompute"),
    path(ORG + "balance/reports/<int:report_id>/", reports.report_detail, name="report"),
    path(
        ORG + "balance/reports/<int:report_id>/<slug:table>.csv",
        reports.report_csv,
        name="report_csv",
    ),
    path(ORG + "balance/method/", reports.method, name="method"),
    # The portfolio: pictures of a report, its history, comparisons, what-ifs, the PDF.
    path(ORG + "portfolio/", portfolio.portfolio, name="portfolio"),
    path(ORG + "portfolio/reports/", portfolio.report_list, name="report_list"),
    path(
        ORG + "portfolio/reports/<int:report_id>/",
        portfolio.portfolio_report,
        name="portfolio_report",
    ),
    path(
        ORG + "portfolio/reports/<int:report_id>/portfolio.pdf",
        portfolio.portfolio_pdf,
        name="portfolio_pdf",
    ),
    path(ORG + "portfolio/compare/", portfolio.report_compare, name="report_compare"),
    path(ORG + "portfolio/what-if/", portfolio.what_if, name="what_if"),
    path(ORG + "balance/thresholds/", reports.thresholds, name="thresholds"),
    path(ORG + "file/import/", reports.import_file, name="import_file"),
    path(ORG + "file/export/", reports.export_file, name="export_file"),
    # Assessment rounds and each team's to-do list.
    path(ORG + "rounds/", rounds.round_list, name="round_list"),
    path(ORG + "rounds/new/", rounds.round_open, name="round_open"),
    path(ORG + "rounds/<slug:key>/", rounds.round_detail, name="round_detail"),
    path(ORG + "rounds/<slug:key>/edit/", rounds.round_edit, name="round_edit"),
    path(ORG + "rounds/<slug:key>/close/", rounds.round_close, name="round_close"),
    path(ORG + "rounds/<slug:key>/teams/<slug:team>/", rounds.round_team, name="round_team"),
    path(
        ORG + "rounds/<slug:key>/teams/<slug:team>/<slug:enabler>/",
        rounds.assessment_edit,
        name="assessment_edit",
    ),
    # Bottleneck flags.
    path(ORG + "flags/", flags.flag_list, name="flag_list"),
    path(ORG + "flags/new/", flags.flag_raise, name="flag_raise"),
    path(ORG + "flags/<slug:key>/", flags.flag_detail, name="flag_detail"),
    path(ORG + "flags/<slug:key>/comment/", flags.flag_comment, name="flag_comment"),
    path(ORG + "flags/<slug:key>/<str:action>/", flags.flag_transition, name="flag_transition"),
    # The decision register.
    path(ORG + "decisions/", decisions.decision_list, name="decision_list"),
    path(ORG + "decisions/timeline/", decisions.decision_timeline, name="decision_timeline"),
    path(ORG + "decisions/new/", decisions.decision_new, name="decision_new"),
    path(ORG + "decisions/import/", decision_files.decision_import, name="decision_import"),
    path(
        ORG + "decisions/decisions.zip",
        decision_files.register_markdown,
        name="register_markdown",
    ),
    path(
        ORG + "decisions/<slug:key>/markdown/",
        decision_files.decision_markdown,
        name="decision_markdown",
    ),
    path(ORG + "decisions/<slug:key>/", decisions.decision_detail, name="decision_detail"),
    path(ORG + "decisions/<slug:key>/edit/", decisions.decision_edit, name="decision_edit"),
    path(ORG + "decisions/<slug:key>/accept/", decisions.decision_accept, name="decision_accept"),
    path(ORG + "decisions/<slug:key>/reject/", decisions.decision_reject, name="decision_reject"),
    # Notifications of the signed-in person.
    path(ORG + "notifications/", notifications.notification_list, name="notification_list"),
    path(ORG + "notifications/read/", notifications.notifications_read, name="notifications_read"),
]
