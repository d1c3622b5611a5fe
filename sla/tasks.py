"""Celery tasks of the SLA app: the minute sweep and escalation notices (thin, idempotent)."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task


@shared_task
def sla_sweep_task() -> dict[str, int]:
    from .services import sla_sweep

    return sla_sweep()


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=6)
def sla_notify_task(*, items: list[list]) -> int:
    """Notify for each (clock id, level); each notification is keyed, so a retry never repeats one."""
    from .services import notify_escalation

    return sum(notify_escalation(clock_id=clock_id, level=level) for clock_id, level in items)


@shared_task
def sla_escalate_task(*, clock_ids: list[int]) -> None:
    from .services import apply_escalation_rules

    for clock_id in clock_ids:
        apply_escalation_rules(clock_id=clock_id)
