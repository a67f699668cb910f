"""Signals catalogue sends for other apps to act on, without importing them."""

from django.dispatch import Signal

# Sent after commit by ``services.inputs_changed`` with ``organisation_id`` and ``reason``.
balance_inputs_changed = Signal()
