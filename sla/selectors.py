"""Reads of SLA state for tickets."""

from __future__ import annotations

from tickets.models import Ticket


def sla_targets(ticket: Ticket) -> list[dict]:
    """The ticket's SLA targets as the API shows them. Filled in by the SLA issue."""
    return []


def with_sla(qs):
    """Add what `sla_targets` reads to a ticket queryset (prefetches, once the SLA issue lands)."""
    return qs
