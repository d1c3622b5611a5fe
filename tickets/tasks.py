"""Celery tasks of the tickets app: thin, idempotent wrappers over services."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=6)
def notify_ticket_event_task(*, event_id: int) -> int:
    from .notifications import deliver_event

    return deliver_event(event_id=event_id)
