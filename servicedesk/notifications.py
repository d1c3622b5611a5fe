"""Tell people what happened to their tickets: an in-app notification and an email, once per event and
recipient. Called by a Celery task with an event id; safe to run twice (unique key per recipient)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import Notification, User

logger = logging.getLogger(__name__)


def notify(
    *, recipient: User, key: str, verb: str, message_factory, url: str = "", email: bool = True
) -> Notification | None:
    """Create the notification `key` for `recipient` unless it exists, then email it once.

    `message_factory()` builds (subject, text) under the recipient's language."""
    language = recipient.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject, text = message_factory()
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, key=key, verb=verb, message=subject[:300], url=url
            )
    except IntegrityError:
        notification = Notification.objects.filter(recipient=recipient, key=key).first()
        if notification is None:
            return None
    if email and recipient.email and notification.emailed_at is None:
        # Claim the email with a conditional update: of two concurrent runs only one sends.
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if claimed:
            with translation.override(language):
                body = render_to_string(
                    "email/notification.txt",
                    {
                        "recipient": recipient,
                        "text": text,
                        "url": settings.SITE_URL.rstrip("/") + url if url else "",
                    },
                )
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
            except Exception:
                # Let the task retry: un-claim so the next run sends it.
                Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
                raise
    return notification


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def ticket_url(number: str) -> str:
    return reverse("tickets:detail", args=[number])
