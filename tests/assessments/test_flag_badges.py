"""The badges written in Python are what the templates _severity.html and _status.html write."""

from __future__ import annotations

import pytest
from django.template.loader import get_template

from assessments.models import BottleneckFlag, FlagStatus, Severity
from assessments.templatetags.flag_badges import severity_badge, status_badge


@pytest.mark.parametrize("severity", Severity.values)
@pytest.mark.parametrize("status", FlagStatus.values)
def test_the_badges_are_the_templates(severity: str, status: str) -> None:
    flag = BottleneckFlag(severity=severity, status=status)
    theirs = get_template("assessments/flags/_severity.html").render({"flag": flag}).strip()
    assert severity_badge(flag) == theirs
    theirs = get_template("assessments/flags/_status.html").render({"flag": flag}).strip()
    assert status_badge(flag) == theirs
