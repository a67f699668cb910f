from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from .views import (
    audit,
    backstage,
    details,
    enablers,
    floor,
    items,
    org,
    spreadsheets,
    suggest,
    tokens,
)

app_name = "catalogue"


def kind_urls(kind: str, plural: str, detail):  # type: ignore[no-untyped-def]
    views = items.make_views(kind)
    return [
        path(f"{plural}/", views["list"], name=f"{kind}_list"),
        path(f"{plural}/new/", views["create"], name=f"{kind}_create"),
        path(f"{plural}/<slug:key>/", detail, name=f"{kind}_detail"),
        path(f"{plural}/<slug:key>/edit/", views["edit"], name=f"{kind}_edit"),
        path(f"{plural}/<slug:key>/delete/", views["delete"], name=f"{kind}_delete"),
    ]


org_patterns = [
    path("", org.home, name="home"),
    path("floor/", floor.floor, name="floor"),  # the benchmark's trivial page (manage.py bench)
    path("settings/", org.organisation_settings, name="organisation_settings"),
    path("members/", org.member_list, name="member_list"),
    path("members/invite/", org.member_invite, name="member_invite"),
    path("members/<int:member_id>/", org.member_edit, name="member_edit"),
    path("members/<int:member_id>/remove/", org.member_remove, name="member_remove"),
    path(
        "invitations/<int:invitation_id>/revoke/", org.invitation_revoke, name="invitation_revoke"
    ),
    *kind_urls("area", "areas", details.area_detail),
    *kind_urls("team", "teams", details.team_detail),
    path("teams/<slug:key>/members/add/", details.team_member_add, name="team_member_add"),
    path(
        "teams/<slug:key>/members/<int:member_id>/remove/",
        details.team_member_remove,
        name="team_member_remove",
    ),
    *kind_urls("offering", "offerings", details.offering_detail),
    path(
        "offerings/<slug:key>/usages/add/", enablers.offering_usage_add, name="offering_usage_add"
    ),
    *kind_urls("touchpoint", "touchpoints", details.touchpoint_detail),
    *kind_urls("journey", "journeys", details.journey_detail),
    path("journeys/<slug:key>/steps/add/", details.step_add, name="step_add"),
    path(
        "journeys/<slug:key>/steps/<int:step_id>/remove/", details.step_remove, name="step_remove"
    ),
    path("journeys/<slug:key>/steps/<int:step_id>/up/", details.step_up, name="step_up"),
    path("journeys/<slug:key>/steps/<int:step_id>/down/", details.step_down, name="step_down"),
    path("enablers/", enablers.enabler_list, name="enabler_list"),
    path("enablers/new/", enablers.enabler_create, name="enabler_create"),
    path("enablers/<slug:key>/", enablers.enabler_detail, name="enabler_detail"),
    path("enablers/<slug:key>/edit/", enablers.enabler_edit, name="enabler_edit"),
    path(
        "enablers/<slug:key>/delete/", items.make_views("enabler")["delete"], name="enabler_delete"
    ),
    re_path(
        r"^enablers/(?P<key>[-a-z0-9]+)/set/(?P<field>classification|lifecycle)/$",
        enablers.enabler_set_field,
        name="enabler_set_field",
    ),
    path("enablers/<slug:key>/usages/add/", enablers.usage_add, name="usage_add"),
    path("usages/<int:usage_id>/remove/", enablers.usage_remove, name="usage_remove"),
    path("suggest/offerings/", suggest.offering_suggest, name="offering_suggest"),
    path("suggest/enablers/", suggest.enabler_suggest, name="enabler_suggest"),
    # --- spreadsheets (enablers and usages as CSV and XLSX) ---
    # Not under enablers/: "enablers/<key>/" would take "export" and "import" for keys.
    path("export/enablers/", spreadsheets.enabler_export, name="enabler_export"),
    path("export/usages/", spreadsheets.usage_export, name="usage_export"),
    path("import/spreadsheet/", spreadsheets.enabler_import, name="enabler_import"),
    # --- end spreadsheets ---
    # --- Backstage import ---
    path("import/backstage/", backstage.backstage_import_page, name="backstage_import"),
    # --- end Backstage import ---
    # --- audit log (issue 8, accounts) ---
    path("audit/", audit.audit_log, name="audit_log"),
    # --- end audit log ---
    # --- API tokens ---
    path("tokens/", tokens.token_list, name="token_list"),
    path("tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
    # --- end API tokens ---
]

urlpatterns = [
    path("o/<slug:org>/", include(org_patterns)),
]

# Site-wide pages live outside the catalogue namespace.
site_urlpatterns = [
    path("", org.organisation_picker, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invitations/<str:token>/", org.accept_invitation, name="accept_invitation"),
    path("staff/organisations/", org.staff_organisations, name="staff_organisations"),
]
