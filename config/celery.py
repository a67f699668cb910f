"""The Celery app. Configured from Django settings before first use (see stack.md traps)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("enabling_model")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
