"""Deployment checks of our own, run by `manage.py check --deploy` next to Django's."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Backends that send nothing: a password reset link would go to the log or nowhere.
NOT_SENDING = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}


@register(Tags.security, deploy=True)
def check_email(app_configs: Any, **kwargs: Any) -> list[Warning]:
    found = []
    if settings.EMAIL_BACKEND in NOT_SENDING:
        found.append(
            Warning(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: invitations and password reset "
                "links are not sent, and the console backend writes those links into the log.",
                hint="Set EMAIL_BACKEND (e.g. django.core.mail.backends.smtp.EmailBackend) "
                "and EMAIL_HOST.",
                id="enabling.W001",
            )
        )
    site = urlsplit(settings.SITE_URL)
    if site.scheme != "https" or (site.hostname or "") in LOCAL_HOSTS:
        found.append(
            Warning(
                f"SITE_URL is {settings.SITE_URL!r}: links in emails must be the site's public "
                "https address.",
                hint="Set SITE_URL, e.g. https://enabling.example.org",
                id="enabling.W002",
            )
        )
    return found
