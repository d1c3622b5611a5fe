"""SLA clock services called by the ticket services. The SLA issue fills these in (calendars, policies,
clocks, the sweep); until then tickets carry no clocks and these calls change nothing."""

from __future__ import annotations

from datetime import datetime

from tickets.models import Ticket


def clocks_start(*, ticket: Ticket) -> None:
    """Start the response and resolution clocks of a new ticket with its matching policy."""


def clocks_retarget(*, ticket: Ticket) -> None:
    """Priority, tier or type changed: move the targets to the new policy, keeping elapsed time."""


def clock_stop(*, ticket: Ticket, metric: str, at: datetime) -> None:
    """The target `metric` is reached at `at`: met or breached."""


def clocks_pause(*, ticket: Ticket) -> None:
    """The desk waits on the requester."""


def clocks_resume(*, ticket: Ticket) -> None:
    """The wait is over."""


def clocks_reopen(*, ticket: Ticket) -> None:
    """A resolved ticket is reopened: its resolution clock runs again."""


def clocks_cancel(*, ticket: Ticket) -> None:
    """The ticket is cancelled: its running clocks stop without a verdict."""
