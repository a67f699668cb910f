"""The backup check's comparison names every difference (pure: no database)."""

from __future__ import annotations

import copy

from tests.backup.inventory import differences, report

SOURCE = {
    "tables": {
        "catalogue_enabler": {"rows": 3, "checksum": "aaa"},
        "assessments_decision": {"rows": 1, "checksum": "bbb"},
    },
    "sequences": {"catalogue_enabler_id_seq": 3},
    "spot_checks": {"decisions by status": [["accepted", "1"]]},
}


def test_an_identical_copy_has_no_differences():
    assert differences(SOURCE, copy.deepcopy(SOURCE)) == []
    assert report(SOURCE, SOURCE)[-1] == (
        "2 tables, 4 rows, 1 sequences and 1 spot checks compared"
    )


def test_every_kind_of_difference_is_named():
    restored = copy.deepcopy(SOURCE)
    restored["tables"]["catalogue_enabler"]["checksum"] = "changed"  # same count, a row differs
    del restored["tables"]["assessments_decision"]
    restored["tables"]["extra_table"] = {"rows": 0, "checksum": ""}
    restored["sequences"]["catalogue_enabler_id_seq"] = None  # a sequence reset by the restore
    restored["spot_checks"]["decisions by status"] = [["accepted", "2"]]

    found = differences(SOURCE, restored)

    assert found == [
        "tables: assessments_decision is missing from the restored database",
        "tables: catalogue_enabler: {'rows': 3, 'checksum': 'aaa'} != "
        "{'rows': 3, 'checksum': 'changed'}",
        "tables: extra_table is only in the restored database",
        "sequences: catalogue_enabler_id_seq: 3 != None",
        "spot_checks: decisions by status: [['accepted', '1']] != [['accepted', '2']]",
    ]
    lines = report(SOURCE, restored)
    assert any(line.startswith("catalogue_enabler") and line.endswith("NO") for line in lines)
