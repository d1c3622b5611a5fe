"""Follow-up (callback) scheduling hooks called by the ticket services. The follow-up issue builds the
worklist, recording and reminders on these."""

from __future__ import annotations

from .models import Ticket


def followup_schedule(*, ticket: Ticket) -> None:
    """A ticket was resolved: schedule its callback."""


def followup_cancel_open(*, ticket: Ticket) -> None:
    """A ticket was reopened: its pending callback is no longer due."""
