"""The installation's defaults: what `make run` relies on with no environment set."""

import os

from django.conf import settings

from config import celery_app


def test_celery_runs_tasks_in_process_when_no_broker_is_set():
    if os.environ.get("CELERY_BROKER_URL"):
        assert celery_app.conf.task_always_eager is False
        assert celery_app.conf.broker_url == os.environ["CELERY_BROKER_URL"]
    else:
        assert celery_app.conf.task_always_eager is True
        assert celery_app.conf.broker_url == "memory://"
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.worker_prefetch_multiplier == 1


def test_database_follows_database_url():
    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert engine == "django.db.backends.postgresql"
    else:
        assert engine == "django.db.backends.sqlite3"
