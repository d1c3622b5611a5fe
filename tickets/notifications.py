"""Who hears about which ticket event, and what they are told."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from servicedesk.models import User
from servicedesk.notifications import notify, ticket_url

from .followups import self_rating_paragraph
from .models import Comment, Ticket, TicketEvent

S = Ticket.Status
E = TicketEvent.Kind


STATUS_MESSAGE_STATUSES = (S.IN_PROGRESS, S.PENDING, S.RESOLVED, S.CANCELLED, S.CLOSED)


def _status_messages() -> dict[str, tuple[str, str]]:
    """What the requester is told when their ticket reaches a status, in the active language: called inside
    notify()'s translation.override, never when the event is read (that would be the worker's language)."""
    return {
        S.IN_PROGRESS: (
            _("Ticket %(number)s is being worked on"),
            _("A technician is now working on “%(title)s”."),
        ),
        S.PENDING: (
            _("Ticket %(number)s needs information from you"),
            _("We are waiting for you on “%(title)s”: %(reason)s"),
        ),
        S.RESOLVED: (
            _("Ticket %(number)s is resolved"),
            _("“%(title)s” is resolved: %(resolution)s\nIf the problem is not fixed, you can reopen it."),
        ),
        S.CANCELLED: (_("Ticket %(number)s is cancelled"), _("“%(title)s” was cancelled: %(reason)s")),
        S.CLOSED: (_("Ticket %(number)s is closed"), _("“%(title)s” is closed. Thank you.")),
    }


def deliver_event(*, event_id: int) -> int:
    """Notify everyone concerned by event `event_id`; returns how many notifications exist for it."""
    event = (
        TicketEvent.objects.select_related("ticket__requester", "ticket__assignee", "ticket__group", "actor")
        .prefetch_related(Prefetch("ticket__group__members", queryset=User.objects.filter(is_active=True)))
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    ticket = event.ticket
    recipients: dict[int, tuple[User, str, callable]] = {}

    def add(user: User | None, verb: str, factory) -> None:
        if user is None or not user.is_active or (event.actor_id and user.pk == event.actor_id):
            return  # nobody needs to be told what they just did
        recipients.setdefault(user.pk, (user, verb, factory))

    number, title = ticket.number, ticket.title
    if event.kind == E.CREATED:
        # The acknowledgement goes to the requester even when they filed the report themselves.
        recipients[ticket.requester_id] = (
            ticket.requester,
            "acknowledged",
            lambda: (
                _("We have received your report %(number)s") % {"number": number},
                _("Your report “%(title)s” is recorded as %(number)s. We will keep you informed.")
                % {"title": title, "number": number},
            ),
        )
    elif event.kind == E.ASSIGNED:
        to = (event.data.get("assignee") or {}).get("to")
        if to and to == ticket.assignee_id:
            add(
                ticket.assignee,
                "assigned",
                lambda: (
                    _("Ticket %(number)s is assigned to you") % {"number": number},
                    _("“%(title)s” (priority P%(priority)s) is waiting for you to accept it.")
                    % {"title": title, "priority": ticket.priority},
                ),
            )
        elif to is None and ticket.group_id and ticket.priority <= 2:
            # Urgent and critical work is announced to the whole group at once.
            for member in ticket.group.members.all():
                add(
                    member,
                    "group_assigned",
                    lambda: (
                        _("Urgent ticket %(number)s for your group") % {"number": number},
                        _("“%(title)s” (priority P%(priority)s) needs someone to accept it.")
                        % {"title": title, "priority": ticket.priority},
                    ),
                )
    elif event.kind == E.STATUS_CHANGED:
        to = event.data.get("to")
        if to in STATUS_MESSAGE_STATUSES and not event.data.get("reopened"):
            params = {
                "number": number,
                "title": title,
                "reason": event.data.get("reason", ""),
                "resolution": event.data.get("resolution", ""),
            }
            # The resolution email carries the signed self-rating link of the ticket's follow-up (if it has one).
            rate = (lambda: self_rating_paragraph(ticket)) if to == S.RESOLVED else str

            def status_message(to: str = to, params: dict = params, rate=rate) -> tuple[str, str]:
                subject, text = _status_messages()[to]
                return subject % params, text % params + rate()

            add(ticket.requester, f"status_{to}", status_message)
        if event.data.get("reopened") and ticket.assignee_id:
            add(
                ticket.assignee,
                "reopened",
                lambda: (
                    _("Ticket %(number)s was reopened") % {"number": number},
                    _("“%(title)s” was reopened: %(reason)s")
                    % {"title": title, "reason": event.data.get("reason", "")},
                ),
            )
    elif event.kind == E.COMMENTED and not event.data.get("internal"):
        comment = Comment.objects.filter(pk=event.data.get("comment")).first()
        excerpt = comment.body[:500] if comment else ""
        factory = lambda: (  # noqa: E731
            _("New reply on ticket %(number)s") % {"number": number},
            excerpt,
        )
        add(ticket.requester, "commented", factory)
        add(ticket.assignee, "commented", factory)

    for user, verb, factory in recipients.values():
        notify(
            recipient=user,
            key=f"ticket-event:{event.pk}",
            verb=verb,
            message_factory=factory,
            url=ticket_url(number),
        )
    return len(recipients)
