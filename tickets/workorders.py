"""Onsite work orders (上门工单): every write, one service per step.

dispatched → accepted → en_route → on_site → diagnosed (quote) → quote_approved | quote_declined
→ repaired_onsite | taken_back (promised return) → returned → completed (customer sign-off); cancelled with reason.

Each step locks the order row, replays a step already taken under the same idempotency key (a repeated tap or a
resent request changes nothing and answers the same), checks the state machine (409) and the actor (403), writes
named columns, records a WorkOrderStep and a ticket event, and notifies after commit.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Role, User

from . import rules
from .models import Ticket, TicketEvent, WorkOrder, WorkOrderPart, WorkOrderStep, WorkOrderTime
from .services import record_event
from .uploads import UploadTooLarge, inspect_upload

logger = logging.getLogger(__name__)

W = WorkOrder.State

ARRIVAL_MINUTES = getattr(settings, "WORKORDER_ARRIVAL_MINUTES", 30)
# The technician's screen and the sweep warn this many minutes before the arrival target.
ARRIVAL_WARNING_MINUTES = getattr(settings, "WORKORDER_ARRIVAL_WARNING_MINUTES", 10)
SIGNATURE_MAX_BYTES = 1024 * 1024
CODE_TTL_MINUTES = 15
CODE_MAX_ATTEMPTS = 5

# action -> states it may start from. Arrive is allowed straight from accepted: a technician already next door
# does not have to tap "on my way" first.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "accept": (W.DISPATCHED,),
    "depart": (W.ACCEPTED,),
    "arrive": (W.ACCEPTED, W.EN_ROUTE),
    "diagnose": (W.ON_SITE,),
    "approve_quote": (W.DIAGNOSED,),
    "decline_quote": (W.DIAGNOSED,),
    "repair": (W.QUOTE_APPROVED,),
    "take_back": (W.QUOTE_APPROVED,),
    "return": (W.TAKEN_BACK,),
    "complete": (W.REPAIRED_ONSITE, W.RETURNED, W.QUOTE_DECLINED),
    "cancel": tuple(s for s in W.values if s not in WorkOrder.FINAL_STATES),
    # Bookkeeping while the order is open; a completed order can only be annotated.
    "time_start": tuple(s for s in W.values if s not in WorkOrder.FINAL_STATES and s != W.DISPATCHED),
    "time_stop": tuple(s for s in W.values if s not in WorkOrder.FINAL_STATES),
    "add_part": tuple(s for s in W.values if s not in WorkOrder.FINAL_STATES),
    "send_code": (W.REPAIRED_ONSITE, W.RETURNED, W.QUOTE_DECLINED),
    "note": tuple(W.values),
}
ACTION_TARGET: dict[str, str] = {
    "accept": W.ACCEPTED,
    "depart": W.EN_ROUTE,
    "arrive": W.ON_SITE,
    "diagnose": W.DIAGNOSED,
    "approve_quote": W.QUOTE_APPROVED,
    "decline_quote": W.QUOTE_DECLINED,
    "repair": W.REPAIRED_ONSITE,
    "take_back": W.TAKEN_BACK,
    "return": W.RETURNED,
    "complete": W.COMPLETED,
    "cancel": W.CANCELLED,
}
ACTION_LABELS = {
    "accept": gettext_lazy("accept"),
    "depart": gettext_lazy("set off"),
    "arrive": gettext_lazy("arrive"),
    "diagnose": gettext_lazy("record the diagnosis and quote"),
    "approve_quote": gettext_lazy("approve the quote"),
    "decline_quote": gettext_lazy("decline the quote"),
    "repair": gettext_lazy("mark repaired on site"),
    "take_back": gettext_lazy("take the device back"),
    "return": gettext_lazy("return the device"),
    "complete": gettext_lazy("complete"),
    "cancel": gettext_lazy("cancel"),
    "time_start": gettext_lazy("start the timer"),
    "time_stop": gettext_lazy("stop the timer"),
    "add_part": gettext_lazy("add a part"),
    "send_code": gettext_lazy("send a confirmation code"),
    "note": gettext_lazy("add a note"),
    "arrival_warning": gettext_lazy("arrival due soon"),
    "arrival_breached": gettext_lazy("arrival late"),
    "create": gettext_lazy("dispatch"),
}


# --- rules ------------------------------------------------------------------------------------------------


def may_act(user: User | None, order: WorkOrder) -> bool:
    """Only the assigned technician and the desk roles act on an order."""
    return user is not None and (order.technician_id == user.pk or rules.is_desk(user))


def may_dispatch(user: User | None, ticket: Ticket) -> bool:
    return user is not None and (rules.is_desk(user) or rules.is_group_lead(user, ticket))


def can(user: User | None, action: str, order: WorkOrder) -> bool:
    return order.state in TRANSITIONS.get(action, ()) and may_act(user, order)


def available_steps(user: User | None, order: WorkOrder) -> list[str]:
    return [a for a in ACTION_TARGET if can(user, a, order)]


def arrival_due(*, accepted_at: datetime, appointment_at: datetime | None) -> datetime:
    """30 minutes from acceptance, or the time agreed with the customer."""
    return appointment_at or accepted_at + timedelta(minutes=ARRIVAL_MINUTES)


# --- the step machinery -------------------------------------------------------------------------------------


def _key(key: uuid.UUID | str | None) -> uuid.UUID:
    if key is None or key == "":
        raise ValidationFailed({"key": [_("A request key is required so that a repeated submit is not doubled.")]})
    try:
        return key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
    except ValueError:
        raise ValidationFailed({"key": [_("The request key is not a valid UUID.")]}) from None


def _lock(order: WorkOrder) -> WorkOrder:
    # Two devices of the same technician sending a step at once serialise here; the second sees the first's result.
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("ticket__requester", "technician")
        .get(pk=order.pk)
    )


def _check(order: WorkOrder, actor: User | None, action: str) -> None:
    """The state machine first (409), then who may act (403) — so the loser of a race gets a 409."""
    if order.state not in TRANSITIONS[action]:
        raise InvalidTransition(
            _("Cannot %(action)s work order %(order)s while it is %(state)s.")
            % {"action": ACTION_LABELS[action], "order": order, "state": order.get_state_display()}
        )
    if not may_act(actor, order):
        raise NotAllowed(_("Only the assigned technician or the service desk can act on this work order."))


def _replayed(order: WorkOrder, key: uuid.UUID, action: str) -> bool:
    step = WorkOrderStep.objects.filter(work_order=order, key=key).first()
    if step is None:
        return False
    if step.action != action:
        raise InvalidTransition(_("This request key was already used for another step. Reload and try again."))
    return True


def _record(order: WorkOrder, actor: User | None, key: uuid.UUID, action: str, data: dict[str, Any]) -> None:
    now = timezone.now()
    WorkOrderStep.objects.create(work_order=order, key=key, action=action, actor=actor, at=now, data=data)
    record_event(
        order.ticket,
        actor,
        TicketEvent.Kind.WORK_ORDER,
        {"work_order": order.pk, "action": action, "state": order.state, **data},
        at=now,
    )


def _step(
    *,
    order: WorkOrder,
    actor: User | None,
    key: uuid.UUID | str | None,
    action: str,
    apply: Callable[[WorkOrder, datetime], tuple[list[str], dict[str, Any]]],
) -> WorkOrder:
    """Lock, replay or check, apply (returns the changed columns and the audit data), record."""
    key = _key(key)
    with transaction.atomic():
        order = _lock(order)
        if _replayed(order, key, action):
            return order
        _check(order, actor, action)
        now = timezone.now()
        fields, data = apply(order, now)
        if action in ACTION_TARGET:
            order.state = ACTION_TARGET[action]
            fields = [*fields, "state"]
        if fields:
            order.save(update_fields=[*fields, "updated_at"])
        _record(order, actor, key, action, data)
        _after_commit(order, action)
    return order


def _after_commit(order: WorkOrder, action: str) -> None:
    if action in ("accept", "take_back", "complete"):
        transaction.on_commit(partial(_notify_requester, order_id=order.pk, action=action))


def _notify_requester(*, order_id: int, action: str) -> None:
    from servicedesk.notifications import notify, ticket_url

    order = WorkOrder.objects.select_related("ticket__requester", "technician").get(pk=order_id)
    ticket = order.ticket

    def message():
        if action == "accept":
            subject = _("%(number)s: a technician is coming") % {"number": ticket.number}
            text = _("%(person)s accepted the visit and will arrive by %(due)s.") % {
                "person": order.technician,
                "due": timezone.localtime(order.arrival_due_at).strftime("%Y-%m-%d %H:%M"),
            }
        elif action == "take_back":
            subject = _("%(number)s: your device was taken for repair") % {"number": ticket.number}
            text = _("It will be returned by %(date)s.") % {
                "date": timezone.localtime(order.promised_return_at).strftime("%Y-%m-%d")
            }
        else:
            subject = _("%(number)s: the onsite work is complete") % {"number": ticket.number}
            text = subject
        return subject, text

    notify(
        recipient=ticket.requester,
        key=f"workorder:{order.pk}:{action}",
        verb="work_order",
        message_factory=message,
        url=ticket_url(ticket.number),
    )


# --- create -------------------------------------------------------------------------------------------------


@transaction.atomic
def workorder_create(
    *,
    ticket: Ticket,
    actor: User | None,
    technician: User,
    site_address: str,
    contact_name: str = "",
    contact_phone: str = "",
    appointment_at: datetime | None = None,
) -> WorkOrder:
    """A visit for an open ticket, by the desk or the ticket group's lead, to a technician."""
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("group").get(pk=ticket.pk)
    if ticket.status not in Ticket.OPEN_STATUSES:
        raise InvalidTransition(
            _("Cannot send a technician for ticket %(number)s while it is %(status)s.")
            % {"number": ticket.number, "status": ticket.get_status_display()}
        )
    if actor is not None and not may_dispatch(actor, ticket):
        raise NotAllowed()
    errors: dict[str, list[str]] = {}
    if not technician.is_active or not technician.has_role(Role.TECHNICIAN):
        errors["technician"] = [_("Choose an active technician.")]
    if not (site_address or "").strip():
        errors["site_address"] = [_("Give the site address.")]
    if errors:
        raise ValidationFailed(errors)
    order = WorkOrder.objects.create(
        ticket=ticket,
        technician=technician,
        site_address=site_address.strip(),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        appointment_at=appointment_at,
        created_by=actor if actor is not None and actor.pk else None,
    )
    record_event(
        ticket,
        actor,
        TicketEvent.Kind.WORK_ORDER,
        {"work_order": order.pk, "action": "create", "state": order.state, "technician": technician.pk},
    )
    return order


# --- the steps ----------------------------------------------------------------------------------------------


def workorder_accept(*, order: WorkOrder, actor: User, key: uuid.UUID | str) -> WorkOrder:
    """dispatched → accepted; starts the arrival target (acceptance + 30 min, or the appointment)."""

    def apply(o: WorkOrder, now: datetime):
        o.accepted_at = now
        o.arrival_due_at = arrival_due(accepted_at=now, appointment_at=o.appointment_at)
        return ["accepted_at", "arrival_due_at"], {"arrival_due_at": o.arrival_due_at.isoformat()}

    return _step(order=order, actor=actor, key=key, action="accept", apply=apply)


def workorder_depart(*, order: WorkOrder, actor: User, key: uuid.UUID | str) -> WorkOrder:
    """accepted → en_route."""

    def apply(o: WorkOrder, now: datetime):
        o.departed_at = now
        return ["departed_at"], {}

    return _step(order=order, actor=actor, key=key, action="depart", apply=apply)


def workorder_arrive(*, order: WorkOrder, actor: User, key: uuid.UUID | str) -> WorkOrder:
    """accepted | en_route → on_site; the arrival target is met or late from here on."""

    def apply(o: WorkOrder, now: datetime):
        o.arrived_at = now
        late = o.arrival_due_at is not None and now > o.arrival_due_at
        return ["arrived_at"], {"late": late}

    return _step(order=order, actor=actor, key=key, action="arrive", apply=apply)


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError):
        raise ValidationFailed({field: [_("Enter an amount such as 120.00.")]}) from None
    if amount < 0 or amount >= Decimal("100000000"):
        raise ValidationFailed({field: [_("Enter an amount between 0 and 99,999,999.99.")]})
    return amount


def workorder_diagnose(
    *, order: WorkOrder, actor: User, key: uuid.UUID | str, diagnosis: str, quote_amount: Any, quote_notes: str = ""
) -> WorkOrder:
    """on_site → diagnosed: the cause and the price told to the customer before any repair, kept as they saw it."""
    if not (diagnosis or "").strip():
        raise ValidationFailed({"diagnosis": [_("Describe the cause you found.")]})
    amount = _money(quote_amount, "quote_amount")

    def apply(o: WorkOrder, now: datetime):
        o.diagnosed_at, o.diagnosis, o.quote_amount, o.quote_notes = now, diagnosis.strip(), amount, quote_notes.strip()
        return ["diagnosed_at", "diagnosis", "quote_amount", "quote_notes"], {"quote_amount": str(amount)}

    return _step(order=order, actor=actor, key=key, action="diagnose", apply=apply)


def _quote_decision(action: str):
    def service(*, order: WorkOrder, actor: User, key: uuid.UUID | str) -> WorkOrder:
        def apply(o: WorkOrder, now: datetime):
            o.quote_decided_at = now
            return ["quote_decided_at"], {"quote_amount": str(o.quote_amount)}

        return _step(order=order, actor=actor, key=key, action=action, apply=apply)

    return service


workorder_approve_quote = _quote_decision("approve_quote")
workorder_approve_quote.__doc__ = "diagnosed → quote_approved: the customer accepts the price."
workorder_decline_quote = _quote_decision("decline_quote")
workorder_decline_quote.__doc__ = "diagnosed → quote_declined: no repair; the visit can still be signed off."


def workorder_repair(*, order: WorkOrder, actor: User, key: uuid.UUID | str, notes: str = "") -> WorkOrder:
    """quote_approved → repaired_onsite."""

    def apply(o: WorkOrder, now: datetime):
        o.repaired_at, o.repair_notes = now, (notes or "").strip()
        return ["repaired_at", "repair_notes"], {}

    return _step(order=order, actor=actor, key=key, action="repair", apply=apply)


def workorder_take_back(
    *, order: WorkOrder, actor: User, key: uuid.UUID | str, promised_return_at: datetime | None, notes: str = ""
) -> WorkOrder:
    """quote_approved → taken_back, with the return date promised to the customer (tells the requester)."""
    if promised_return_at is None:
        raise ValidationFailed({"promised_return_at": [_("Tell the customer when the device comes back.")]})
    if promised_return_at <= timezone.now():
        raise ValidationFailed({"promised_return_at": [_("The promised return must be in the future.")]})

    def apply(o: WorkOrder, now: datetime):
        o.taken_back_at, o.promised_return_at, o.repair_notes = now, promised_return_at, (notes or "").strip()
        return ["taken_back_at", "promised_return_at", "repair_notes"], {
            "promised_return_at": promised_return_at.isoformat()
        }

    return _step(order=order, actor=actor, key=key, action="take_back", apply=apply)


def workorder_return(*, order: WorkOrder, actor: User, key: uuid.UUID | str) -> WorkOrder:
    """taken_back → returned."""

    def apply(o: WorkOrder, now: datetime):
        o.returned_at = now
        late = o.promised_return_at is not None and now > o.promised_return_at
        return ["returned_at"], {"late": late}

    return _step(order=order, actor=actor, key=key, action="return", apply=apply)


def workorder_cancel(*, order: WorkOrder, actor: User, key: uuid.UUID | str, reason: str) -> WorkOrder:
    """Any open state → cancelled, with a reason; a running timer stops."""
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Give a reason for cancelling.")]})

    def apply(o: WorkOrder, now: datetime):
        o.cancelled_at, o.cancel_reason = now, reason.strip()[:500]
        WorkOrderTime.objects.filter(work_order=o, ended_at__isnull=True).update(ended_at=now)
        return ["cancelled_at", "cancel_reason"], {"reason": o.cancel_reason}

    return _step(order=order, actor=actor, key=key, action="cancel", apply=apply)


# --- sign-off ---------------------------------------------------------------------------------------------


def decode_signature(data_url: str) -> bytes:
    """The pad's `data:image/png;base64,...` decoded and verified as a PNG of at most 1 MB (400 otherwise)."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.strip():
        raise ValidationFailed({"signature": [_("The signature is empty: ask the customer to sign.")]})
    if not data_url.startswith(prefix):
        raise ValidationFailed({"signature": [_("The signature must be a PNG image.")]})
    encoded = data_url[len(prefix) :]
    if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 8:
        raise ValidationFailed({"signature": [_("The signature image is too large (the limit is 1 MB).")]})
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed({"signature": [_("The signature must be a PNG image.")]}) from None
    upload = SimpleUploadedFile("signature.png", raw, content_type="image/png")
    try:
        _name, content_type = inspect_upload(upload, max_bytes=SIGNATURE_MAX_BYTES)
    except UploadTooLarge:
        raise ValidationFailed({"signature": [_("The signature image is too large (the limit is 1 MB).")]}) from None
    except ValidationFailed:
        if not raw:
            raise ValidationFailed({"signature": [_("The signature is empty: ask the customer to sign.")]}) from None
        raise ValidationFailed({"signature": [_("The signature must be a PNG image.")]}) from None
    if content_type != "image/png":
        raise ValidationFailed({"signature": [_("The signature must be a PNG image.")]})
    return raw


def _code_hash(order_id: int, code: str) -> str:
    return salted_hmac("tickets.workorders.signoff", f"{order_id}:{code}", algorithm="sha256").hexdigest()


def workorder_send_code(*, order: WorkOrder, actor: User, key: uuid.UUID | str) -> WorkOrder:
    """Email a one-time 6-digit code to the requester; only its keyed hash is kept, for 15 minutes, 5 tries.
    A resent request with the same key does not send another code."""
    sent: dict[str, Any] = {}

    def apply(o: WorkOrder, now: datetime):
        if not o.ticket.requester.email:
            raise ValidationFailed({"code": [_("The requester has no email address: use the signature.")]})
        code = f"{secrets.randbelow(1_000_000):06d}"
        o.code_hash, o.code_expires_at, o.code_attempts = (
            _code_hash(o.pk, code),
            now + timedelta(minutes=CODE_TTL_MINUTES),
            0,
        )
        sent["code"] = code
        return ["code_hash", "code_expires_at", "code_attempts"], {}

    order = _step(order=order, actor=actor, key=key, action="send_code", apply=apply)
    if "code" in sent:
        transaction.on_commit(partial(_email_code, order_id=order.pk, code=sent["code"]))
    return order


def _email_code(*, order_id: int, code: str) -> None:
    from django.core.mail import send_mail
    from django.utils import translation

    order = WorkOrder.objects.select_related("ticket__requester").get(pk=order_id)
    requester = order.ticket.requester
    with translation.override(requester.language or settings.LANGUAGE_CODE):
        subject = _("%(number)s: your confirmation code") % {"number": order.ticket.number}
        body = _(
            "Your confirmation code for the onsite work on %(number)s is %(code)s. Give it to the technician "
            "only if the work is done. It expires in %(minutes)s minutes."
        ) % {"number": order.ticket.number, "code": code, "minutes": CODE_TTL_MINUTES}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [requester.email])


def workorder_complete(
    *,
    order: WorkOrder,
    actor: User,
    key: uuid.UUID | str,
    signer_name: str = "",
    signature: str = "",
    code: str = "",
) -> WorkOrder:
    """repaired_onsite | returned | quote_declined → completed with the customer's sign-off: a drawn signature
    (PNG ≤ 1 MB, stored privately) with the signer's name, or the emailed one-time code. A wrong code counts
    as a try even though the step fails, so the count is committed before the error is raised."""
    key = _key(key)
    raw = b""
    if not code:
        if not (signer_name or "").strip():
            raise ValidationFailed({"signer_name": [_("Enter the name of the person signing.")]})
        raw = decode_signature(signature)
    failure: ValidationFailed | None = None
    with transaction.atomic():
        order = _lock(order)
        if _replayed(order, key, "complete"):
            return order
        _check(order, actor, "complete")
        now = timezone.now()
        fields = ["state", "completed_at", "signoff_method", "signer_name"]
        if code:
            failure = _verify_code(order, code.strip(), now)
            if failure is not None:
                order.save(update_fields=["code_attempts", "updated_at"])
        if failure is None:
            if code:
                order.signoff_method = WorkOrder.Signoff.CODE
                order.signer_name = ((signer_name or "").strip() or str(order.ticket.requester))[:120]
                order.code_hash = ""
                fields.append("code_hash")
            else:
                order.signoff_method = WorkOrder.Signoff.SIGNATURE
                order.signer_name = signer_name.strip()[:120]
                order.signature.save("signature.png", ContentFile(raw), save=False)
                fields.append("signature")
            order.state, order.completed_at = W.COMPLETED, now
            WorkOrderTime.objects.filter(work_order=order, ended_at__isnull=True).update(ended_at=now)
            order.save(update_fields=[*fields, "updated_at"])
            _record(order, actor, key, "complete", {"signoff": order.signoff_method, "signer": order.signer_name})
            _after_commit(order, "complete")
    if failure is not None:
        raise failure
    return order


def _verify_code(order: WorkOrder, code: str, now: datetime) -> ValidationFailed | None:
    if not order.code_hash:
        return ValidationFailed({"code": [_("No confirmation code was sent for this work order.")]})
    if order.code_attempts >= CODE_MAX_ATTEMPTS:
        return ValidationFailed({"code": [_("Too many wrong codes. Send a new code.")]})
    if order.code_expires_at is None or now > order.code_expires_at:
        return ValidationFailed({"code": [_("The code has expired. Send a new code.")]})
    if not hmac.compare_digest(order.code_hash, _code_hash(order.pk, code)):
        order.code_attempts += 1
        return ValidationFailed({"code": [_("The code is not right.")]})
    return None


# --- time, parts, notes -------------------------------------------------------------------------------------


def workorder_time_start(*, order: WorkOrder, actor: User, key: uuid.UUID | str) -> WorkOrder:
    def apply(o: WorkOrder, now: datetime):
        if WorkOrderTime.objects.filter(work_order=o, technician=actor, ended_at__isnull=True).exists():
            raise InvalidTransition(_("Your timer is already running on this work order."))
        entry = WorkOrderTime.objects.create(work_order=o, technician=actor, started_at=now)
        return [], {"time_entry": entry.pk}

    return _step(order=order, actor=actor, key=key, action="time_start", apply=apply)


def workorder_time_stop(*, order: WorkOrder, actor: User, key: uuid.UUID | str) -> WorkOrder:
    def apply(o: WorkOrder, now: datetime):
        updated = WorkOrderTime.objects.filter(work_order=o, technician=actor, ended_at__isnull=True).update(
            ended_at=now
        )
        if not updated:
            raise InvalidTransition(_("Your timer is not running on this work order."))
        return [], {}

    return _step(order=order, actor=actor, key=key, action="time_stop", apply=apply)


def workorder_add_part(
    *, order: WorkOrder, actor: User, key: uuid.UUID | str, description: str, quantity: int, unit_cost: Any
) -> WorkOrder:
    if not (description or "").strip():
        raise ValidationFailed({"description": [_("Name the part or material.")]})
    if not isinstance(quantity, int) or quantity < 1:
        raise ValidationFailed({"quantity": [_("The quantity must be at least 1.")]})
    cost = _money(unit_cost, "unit_cost")

    def apply(o: WorkOrder, now: datetime):
        part = WorkOrderPart.objects.create(
            work_order=o, description=description.strip()[:200], quantity=quantity, unit_cost=cost, added_by=actor,
            added_at=now,
        )  # fmt: skip
        return [], {"part": part.pk, "description": part.description, "quantity": quantity, "unit_cost": str(cost)}

    return _step(order=order, actor=actor, key=key, action="add_part", apply=apply)


def workorder_annotate(*, order: WorkOrder, actor: User, key: uuid.UUID | str, text: str) -> WorkOrder:
    """A note — the only change a completed order still takes."""
    if not (text or "").strip():
        raise ValidationFailed({"text": [_("Write the note.")]})

    def apply(o: WorkOrder, now: datetime):
        return [], {"note": text.strip()[:2000]}

    return _step(order=order, actor=actor, key=key, action="note", apply=apply)


# --- the arrival sweep -------------------------------------------------------------------------------------


def workorder_arrival_sweep(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Beat: record the arrival warning and breach of each accepted, not yet arrived order once. Each is a
    compare-and-set UPDATE on its still-null column, so two sweeps at once, or a re-run, record it once."""
    now = now or timezone.now()
    counts = {"warnings": 0, "breaches": 0}
    waiting = Q(arrived_at__isnull=True, arrival_due_at__isnull=False) & ~Q(state__in=WorkOrder.FINAL_STATES)
    plans = (
        ("arrival_breached", "arrival_breached_at", Q(arrival_due_at__lte=now), "breaches"),
        (
            "arrival_warning",
            "arrival_warned_at",
            Q(arrival_due_at__lte=now + timedelta(minutes=ARRIVAL_WARNING_MINUTES)),
            "warnings",
        ),
    )
    for action, column, due, counter in plans:
        ids = list(
            WorkOrder.objects.filter(waiting, due, **{f"{column}__isnull": True})
            .order_by("arrival_due_at")
            .values_list("pk", flat=True)[:batch]
        )
        for pk in ids:
            with transaction.atomic():
                claimed = WorkOrder.objects.filter(pk=pk, **{f"{column}__isnull": True}).update(**{column: now})
                if not claimed:
                    continue  # another sweep got it
                order = WorkOrder.objects.select_related("ticket").get(pk=pk)
                record_event(
                    order.ticket,
                    None,
                    TicketEvent.Kind.WORK_ORDER,
                    {
                        "work_order": pk,
                        "action": action,
                        "state": order.state,
                        "arrival_due_at": order.arrival_due_at.isoformat(),
                    },
                    at=now,
                )
                transaction.on_commit(partial(workorder_arrival_notify, order_id=pk, level=action))
                counts[counter] += 1
    return counts


def workorder_arrival_notify(*, order_id: int, level: str) -> int:
    """Tell the technician when the arrival target is close; at a breach also the team lead and whoever
    dispatched the order. Idempotent: one notification per person, order and level."""
    from servicedesk.notifications import notify

    order = (
        WorkOrder.objects.select_related("ticket__group__lead", "technician", "created_by").filter(pk=order_id).first()
    )
    if order is None:
        return 0
    ticket = order.ticket
    people = [order.technician]
    if level == "arrival_breached":
        people += [ticket.group.lead if ticket.group_id else None, order.created_by]
    recipients = {u.pk: u for u in people if u is not None and u.is_active}
    url = reverse("workorders:detail", args=[order.pk])

    def message() -> tuple[str, str]:
        params = {"order": order, "number": ticket.number, "address": order.site_address}
        if level == "arrival_breached":
            return (
                _("Late arrival: %(order)s for %(number)s") % params,
                _("The technician has not arrived at %(address)s by the agreed time.") % params,
            )
        return (
            _("Arrival due soon: %(order)s for %(number)s") % params,
            _("The customer at %(address)s expects you shortly.") % params,
        )

    for user in recipients.values():
        notify(recipient=user, key=f"workorder-{level}:{order.pk}", verb="work_order", message_factory=message, url=url)
    return len(recipients)


# --- the ticket timeline -----------------------------------------------------------------------------------


def timeline_text(data: dict[str, Any]) -> tuple[str, str]:
    """(text, detail) of a work-order event on the ticket's timeline."""
    action = data.get("action", "")
    label = ACTION_LABELS.get(action, action)
    state = data.get("state")
    state_label = W(state).label if state in W.values else ""
    text = _("Work order WO-%(id)s: %(action)s") % {"id": data.get("work_order", "?"), "action": label}
    if state_label and action not in ("note", "arrival_warning", "arrival_breached"):
        text += f" → {state_label}"
    detail = data.get("note") or data.get("reason") or ""
    if action == "diagnose":
        detail = _("Quote: %(amount)s") % {"amount": data.get("quote_amount", "")}
    elif action == "complete":
        detail = _("Signed off by %(name)s") % {"name": data.get("signer", "")}
    return text, detail
