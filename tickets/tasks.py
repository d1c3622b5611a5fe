"""Celery tasks of the tickets app: thin, idempotent wrappers over services."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=6)
def notify_ticket_event_task(*, event_id: int) -> int:
    from .notifications import deliver_event

    return deliver_event(event_id=event_id)


@shared_task
def followup_sweep_task() -> dict[str, int]:
    """Beat: escalate overdue follow-ups once each, give unassigned ones to a callback agent."""
    from .followups import followup_sweep

    return followup_sweep()


@shared_task
def followup_digest_task() -> int:
    """Beat, mornings: one digest per callback agent per day of their due and overdue follow-ups."""
    from .followups import followup_digest

    return followup_digest()


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=6)
def followup_notify_task(*, followup_id: int, kind: str) -> int:
    from .followups import followup_notify

    return followup_notify(followup_id=followup_id, kind=kind)


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=6)
def complaint_notify_task(*, complaint_id: int) -> int:
    from .complaints import complaint_notify

    return complaint_notify(complaint_id=complaint_id)


# --- major incidents -------------------------------------------------------------------------------------


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=6)
def major_incident_broadcast_task(*, update_id: int) -> int:
    """Fan one update of a major incident out to everyone affected (in batches of notify tasks)."""
    from .major_incidents import major_incident_broadcast

    return major_incident_broadcast(update_id=update_id)


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=6)
def major_incident_notify_task(*, update_id: int, user_ids: list[int]) -> int:
    from .major_incidents import major_incident_notify

    return major_incident_notify(update_id=update_id, user_ids=user_ids)


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=6)
def major_incident_linked_task(*, incident_id: int, ticket_id: int) -> bool:
    from .major_incidents import major_incident_tell_linked

    return major_incident_tell_linked(incident_id=incident_id, ticket_id=ticket_id)


@shared_task
def workorder_arrival_sweep_task() -> dict[str, int]:
    """Beat: record each work order's arrival warning and breach once."""
    from .workorders import workorder_arrival_sweep

    return workorder_arrival_sweep()


# --- quality reports ---------------------------------------------------------------------------------------


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=6)
def weekly_report_task() -> int:
    """Beat, Monday mornings: last week's report to every supervisor, once per supervisor and ISO week."""
    from .report_exports import weekly_report_send

    return weekly_report_send()
