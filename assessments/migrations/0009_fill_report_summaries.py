"""Give every ready report stored before summaries existed its summary, once, here: the
portfolio page reads only the summary, and a page view should not write."""

from django.db import migrations

# The summary is a pure function of the stored result (no Django in it), so calling today's
# code is safe here; a later summary version is drawn from the result on the fly until a
# migration like this one stores it.
from assessments.portfolio.summary import is_current, summarise


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    BalanceReport = apps.get_model("assessments", "BalanceReport")
    ready = BalanceReport.objects.filter(status="ready").only("pk", "result", "summary")
    for report in ready.iterator(chunk_size=50):
        if not is_current(report.summary) and report.result:
            report.summary = summarise(report.result)
            report.save(update_fields=["summary"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0008_list_indexes"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
