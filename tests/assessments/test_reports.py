"""Balance reports through the real stack: loader, service, task, pages and command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.balance import compute, report_to_json
from assessments.loader import LOADER_QUERIES, load_balance_input
from assessments.models import BalanceReport, BottleneckFlag, ReportStatus
from assessments.services import report_compute_now, thresholds_for
from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast, client_for


def url(name: str, *args: object) -> str:
    return reverse(f"assessments:{name}", args=["acme", *args])


def grow(cast: Cast, n: int = 20) -> None:
    """More of everything the loader reads, to show its query count does not move."""
    org = cast.world.org
    for i in range(n):
        offering = f.OfferingFactory(organisation=org, team=cast.world.delivery)
        enabler = f.EnablerFactory(organisation=org, capability="search")
        m.EnablerUsage.objects.create(organisation=org, enabler=enabler, offering=offering)
        journey = f.JourneyFactory(organisation=org)
        step = m.JourneyStep.objects.create(
            organisation=org, journey=journey, position=1, name="Step", offering=offering
        )
        step.touchpoints.add(cast.world.checkout)
        BottleneckFlag.objects.create(
            organisation=org,
            key=f"grown-{i}",
            team=cast.world.delivery,
            enabler=enabler,
            summary="Slow",
        )


def test_loader_runs_a_fixed_number_of_queries(cast: Cast) -> None:
    with CaptureQueriesContext(connection) as small:
        load_balance_input(cast.world.org)
    grow(cast)
    with CaptureQueriesContext(connection) as large:
        snapshot = load_balance_input(cast.world.org)
    assert len(small) == len(large) == LOADER_QUERIES == 10
    assert len(snapshot.enablers) == 22
    assert len(snapshot.journeys) == 21 and len(snapshot.flags) == 20


def test_loader_sees_only_its_own_organisation(cast: Cast) -> None:
    f.EnablerFactory(organisation=cast.other.org, key="globex-only", name="Globex only")
    snapshot = load_balance_input(cast.world.org)
    assert "globex-only" not in {e.key for e in snapshot.enablers}


def test_the_same_data_gives_byte_identical_json(cast: Cast) -> None:
    org = cast.world.org
    first = report_to_json(compute(load_balance_input(org), thresholds_for(org)))
    second = report_to_json(compute(load_balance_input(org), thresholds_for(org)))
    assert first == second


def test_reports_are_kept_as_history_and_read_the_same_later(cast: Cast) -> None:
    first, _ = report_compute_now(organisation=cast.world.org)
    payments = cast.world.payments
    payments.name = "Payments hub"
    payments.save()
    second, _ = report_compute_now(organisation=cast.world.org)
    first.refresh_from_db()
    assert first.result["enablers"]["payments"]["name"] == "Payments"
    assert second.result["enablers"]["payments"]["name"] == "Payments hub"
    assert BalanceReport.objects.for_org(cast.world.org).count() == 2
    assert first.thresholds["repeatable_reach"] == 0.6 and first.method_version == 1


def test_leadership_asks_for_a_recompute_and_the_task_computes_it(
    cast: Cast, django_capture_on_commit_callbacks, eager_tasks: None
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.leader).post(url("recompute"))
    assert response.status_code == 302
    report = BalanceReport.objects.for_org(cast.world.org).get()
    assert report.status == ReportStatus.READY
    assert report.result["counts"]["live_enablers"] == 2
    page = client_for(cast.viewer).get(url("balance")).content.decode()
    assert "Balance score" in page and "Payments" in page


def test_report_page_shows_an_empty_state_before_any_report(cast: Cast) -> None:
    page = client_for(cast.viewer).get(url("balance")).content.decode()
    assert "No balance report yet" in page
    assert "Recompute now" not in page  # viewers cannot ask for one


def test_report_page_shows_findings_with_links_to_their_enablers(cast: Cast) -> None:
    for i, team in enumerate((cast.world.delivery, cast.world.platform)):
        BottleneckFlag.objects.create(
            organisation=cast.world.org,
            key=f"b-{i}",
            team=team,
            enabler=cast.world.payments,
            severity="high",
            summary="Slow",
        )
    report_compute_now(organisation=cast.world.org)
    page = client_for(cast.viewer).get(url("balance")).content.decode()
    assert "Shared bottleneck" in page
    assert reverse("catalogue:enabler_detail", args=["acme", "payments"]) in page


def test_report_page_queries_do_not_grow_with_the_data(cast: Cast) -> None:
    report_compute_now(organisation=cast.world.org)
    client = client_for(cast.viewer)
    with CaptureQueriesContext(connection) as small:
        client.get(url("balance"))
    grow(cast, 40)
    report_compute_now(organisation=cast.world.org)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url("balance"))
    assert "Page 1 of 2" in response.content.decode()  # the enabler table is paginated
    assert len(small) == len(large)


def test_a_failed_computation_is_stored_and_shown(cast: Cast, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("assessments.services.compute", broken)
    with pytest.raises(RuntimeError):
        report_compute_now(organisation=cast.world.org)
    report = BalanceReport.objects.for_org(cast.world.org).get()
    assert report.status == ReportStatus.FAILED and "disk on fire" in report.error
    page = client_for(cast.viewer).get(url("report", report.pk)).content.decode()
    assert "could not be computed" in page


def test_thresholds_form_refuses_a_share_above_one_and_saves_nothing(cast: Cast) -> None:
    from assessments.balance import Thresholds

    data = {**Thresholds().as_dict(), "repeatable_reach": "1.5"}
    response = client_for(cast.admin).post(url("thresholds"), data)
    assert response.status_code == 400
    assert "less than or equal to 1" in response.content.decode()
    cast.world.org.refresh_from_db()
    assert cast.world.org.balance_settings == {}


def test_changed_thresholds_are_used_and_shown_on_the_method_page(
    cast: Cast, django_capture_on_commit_callbacks, eager_tasks: None
) -> None:
    from assessments.balance import Thresholds

    data = {**Thresholds().as_dict(), "repeatable_reach": "0.9"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.admin).post(url("thresholds"), data)
    assert response.status_code == 302
    report = BalanceReport.objects.for_org(cast.world.org).get()
    assert report.thresholds["repeatable_reach"] == 0.9
    page = client_for(cast.viewer).get(url("method")).content.decode()
    assert "0.90 of all offerings" in page and "default 0.6" in page


def upload(cast: Cast, content: str, name: str = "acme.yaml"):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client_for(cast.admin).post(
        url("import_file"), {"file": SimpleUploadedFile(name, content.encode())}
    )


def test_upload_with_problems_lists_every_one_and_writes_nothing(cast: Cast) -> None:
    before = m.Enabler.objects.for_org(cast.world.org).count()
    response = upload(
        cast,
        """format: enabling-model/1
organisation: {name: Acme Ltd, slug: acme}
enablers:
  - {key: new-one, name: New one, kind: rocket, classification: common}
  - {key: other, name: Other, kind: platform, classification: sometimes}
""",
    )
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert "2 problems" in html
    assert "enablers[0].kind: must be one of" in html
    assert "enablers[1].classification: must be one of repeatable, common, independent" in html
    assert m.Enabler.objects.for_org(cast.world.org).count() == before


def test_upload_of_another_organisations_file_is_refused(cast: Cast) -> None:
    response = upload(
        cast,
        "format: enabling-model/1\norganisation: {name: Globex Ltd, slug: globex}\n"
        "business_areas: [{key: planted, name: Planted by acme}]\n",
    )
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert "organisation.slug: the file is for 'globex'" in html
    for org in (cast.world.org, cast.other.org):
        assert not m.BusinessArea.objects.for_org(org).filter(key="planted").exists()


def test_download_then_upload_changes_nothing(cast: Cast) -> None:
    response = client_for(cast.viewer).get(url("export_file"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="acme.yaml"'
    text = response.content.decode()
    assert "format: enabling-model/1" in text
    as_json = client_for(cast.viewer).get(url("export_file") + "?format=json")
    assert json.loads(as_json.content)["organisation"]["slug"] == "acme"
    assert upload(cast, text).status_code == 302
    again = client_for(cast.viewer).get(url("export_file")).content.decode()
    assert again == text


@pytest.fixture
def demo(db: None) -> None:
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("slug", "model"), [("northfield", "group"), ("harbour", "track"), ("kingsbridge", "stage")]
)
def test_balance_report_command_infers_each_demo_organisations_model(
    demo: None, slug: str, model: str
) -> None:
    out = io.StringIO()
    call_command("balance_report", slug, "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["inferred_model"] == model
    assert result["method_version"] == 1
    for field in (
        "mean_overlap",
        "diversity",
        "mean_length",
        "clusters",
        "within_overlap",
        "across_overlap",
    ):
        assert field in result["measures"]
    assert (
        sum(result["mix"][c]["count"] for c in result["mix"]) == result["counts"]["live_enablers"]
    )
    kinds = {finding["kind"] for finding in result["findings"]}
    assert "shared_bottleneck" in kinds
    assert "selective_commonality" in kinds or slug == "kingsbridge"


def test_balance_report_command_prints_readable_text(demo: None) -> None:
    out = io.StringIO()
    call_command("balance_report", "harbour", stdout=out)
    text = out.getvalue()
    assert "declared track, inferred track" in text
    assert "shared_bottleneck [booking-engine]" in text


def test_balance_report_command_refuses_an_unknown_slug(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organisation with the slug 'nope'"):
        call_command("balance_report", "nope")


def test_seed_demo_leaves_a_ready_report_for_each_organisation(
    db: None, django_capture_on_commit_callbacks, eager_tasks: None
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    for slug in ("northfield", "harbour", "kingsbridge"):
        org = m.Organisation.objects.get(slug=slug)
        assert BalanceReport.objects.for_org(org).filter(status=ReportStatus.READY).exists()


def test_status_partial_says_recomputing_then_reloads_the_page_when_a_newer_report_is_ready(
    cast: Cast,
) -> None:
    from catalogue.services import inputs_changed

    client = client_for(cast.viewer)
    first, _ = report_compute_now(organisation=cast.world.org)
    shown = f"?shown={first.generation}"
    calm = client.get(url("report_status") + shown, HTTP_HX_REQUEST="true")
    assert "Up to date" in calm.content.decode()
    assert "HX-Refresh" not in calm

    inputs_changed(organisation=cast.world.org, reason="test")
    waiting = client.get(url("report_status") + shown, HTTP_HX_REQUEST="true")
    assert "Recomputing" in waiting.content.decode()
    assert 'hx-trigger="every 1s"' in waiting.content.decode()
    assert "HX-Refresh" not in waiting

    report_compute_now(organisation=cast.world.org)
    done = client.get(url("report_status") + shown, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert "Up to date" in done.content.decode()


def test_importing_a_changed_file_asks_for_a_report(
    cast: Cast, tmp_path, django_capture_on_commit_callbacks, eager_tasks: None
) -> None:
    from assessments.orgfile import export_organisation

    text = export_organisation(cast.world.org).replace("name: Food", "name: Fresh food")
    path = tmp_path / "acme.yaml"
    path.write_text(text)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_organisation", str(path), stdout=io.StringIO())
    assert m.BusinessArea.objects.for_org(cast.world.org).get(key="food").name == "Fresh food"
    assert BalanceReport.objects.for_org(cast.world.org).get().status == ReportStatus.READY
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_organisation", str(path), stdout=io.StringIO())
    assert BalanceReport.objects.for_org(cast.world.org).count() == 1  # nothing changed
