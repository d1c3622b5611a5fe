"""Celery tasks of the notices app: thin wrappers over services, taking ids, safe to run twice or at once."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task


@shared_task
def notice_sweep_task() -> dict[str, int]:
    """Beat: publish approved notices whose time has come, expire those past their expiry."""
    from .services import notice_sweep

    return notice_sweep()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=6)
def notice_deliver_task(*, notice_id: int) -> int:
    """Plan the emails of a just-published notice and queue them in batches."""
    from .services import notice_delivery_start

    return notice_delivery_start(notice_id=notice_id)


@shared_task
def notice_send_batch_task(*, notice_id: int, delivery_ids: list[int]) -> dict[str, int]:
    """Send one batch; each recipient ends sent or failed (failures are resent on request, not retried blindly)."""
    from .services import notice_send_batch

    return notice_send_batch(notice_id=notice_id, delivery_ids=delivery_ids)


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=6)
def notice_notify_task(*, event_id: int) -> int:
    from .services import notice_notify

    return notice_notify(event_id=event_id)
