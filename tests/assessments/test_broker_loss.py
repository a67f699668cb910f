"""The worker survives losing Redis while it holds a message (assessments.tasks).

Celery 5.7.0 closes a broker connection it has just collected; a channel of it then asks its
transport, which has no client any more, where Redis is. Unpatched that is an AttributeError
the worker treats as unrecoverable, and it exits (found by .ci/faults.py restarting Redis,
which proves the whole of it against a real worker). These tests pin the patched behaviour
without a Redis server: such a channel fails as if Redis were away, with an error every
caller already handles.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from kombu import Connection
from kombu.message import Message
from kombu.transport.redis import Channel, Transport

import assessments.tasks as tasks


def channel_of(client: object) -> Channel:
    """A Redis channel as the worker holds it, without connecting to anything."""
    channel = Channel.__new__(Channel)
    channel.connection = SimpleNamespace(client=client)  # type: ignore[assignment]
    return channel


def test_a_channel_whose_connection_was_closed_reports_a_connection_error() -> None:
    channel = channel_of(None)
    with pytest.raises(Transport.connection_errors):
        channel._connparams()


def test_a_lost_acknowledgement_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    # What the worker does with a task that finished while Redis was away.
    message = SimpleNamespace(
        delivery_tag="tag-1",
        ack=lambda multiple=False: channel_of(None)._connparams(),
    )
    with caplog.at_level(logging.CRITICAL):
        Message.ack_log_error(message, logging.getLogger("test"), Transport.connection_errors)
    assert "Couldn't ack 'tag-1'" in caplog.text


def test_a_channel_with_a_live_connection_still_finds_redis() -> None:
    params = channel_of(Connection("redis://127.0.0.1:6399/3"))._connparams()
    assert (params["host"], params["port"], params["db"]) == ("127.0.0.1", 6399, 3)


def test_the_patch_is_applied_once() -> None:
    patched = Channel._connparams
    tasks.keep_worker_alive_on_broker_loss()
    assert Channel._connparams is patched
    assert getattr(patched, "keeps_worker_alive", False)
