"""Keep the tickets' search documents current. A receiver rather than a call in tickets.services: the index is
derived data owned by this app, and every ticket write (service, admin, import) saves through the model."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

INDEXED_FIELDS = {"title", "description"}


def ticket_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, raw: bool = False, **kwargs):
    if raw:
        return  # fixtures load rows as they are
    if not created and update_fields is not None and not INDEXED_FIELDS & set(update_fields):
        return  # a status or assignment change: the text is unchanged
    from .services import ticket_index

    ticket_index(
        ticket_id=instance.pk,
        title=instance.title,
        description=instance.description,
        created_at=instance.created_at,
    )


def connect() -> None:
    post_save.connect(ticket_saved, sender="tickets.Ticket", dispatch_uid="knowledge.ticket_saved")
