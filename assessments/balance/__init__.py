"""The balance method: how well an organisation's enablers fit its delivery model.

Pure Python over frozen dataclasses (no Django, no settings, no clock): build an
:class:`OrganisationInput`, call :func:`compute` with the organisation's
:class:`Thresholds`, and store :func:`report_to_dict` (or print :func:`report_to_json`).
The rules are those of ``balance-method.md``, version :data:`METHOD_VERSION`.
"""

from .inputs import (
    AssessmentInput,
    EnablerInput,
    FlagInput,
    JourneyInput,
    OfferingInput,
    OrganisationInput,
    StepInput,
    UsageInput,
)
from .method import compute
from .report import METHOD_VERSION, Report, report_to_dict, report_to_json
from .thresholds import THRESHOLD_NAMES, Thresholds

__all__ = [
    "METHOD_VERSION",
    "THRESHOLD_NAMES",
    "AssessmentInput",
    "EnablerInput",
    "FlagInput",
    "JourneyInput",
    "OfferingInput",
    "OrganisationInput",
    "Report",
    "StepInput",
    "Thresholds",
    "UsageInput",
    "compute",
    "report_to_dict",
    "report_to_json",
]
