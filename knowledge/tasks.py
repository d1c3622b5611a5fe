"""Celery tasks of the knowledge app: thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task


@shared_task
def kb_stale_sweep_task() -> int:
    """Beat, daily: remind owners of articles not reviewed for KB_STALE_MONTHS months — once per article a month."""
    from .services import stale_articles_notify

    return stale_articles_notify()
