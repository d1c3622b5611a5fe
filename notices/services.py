"""Every write to a notice. Each service takes the acting user (None = the scheduler), locks the row, checks the
state machine (409) and then who may take the step (403), writes named columns, appends a NoticeEvent and schedules
its side effects (banner refresh, email delivery, notifications) after commit.

    draft ─submit→ submitted ─approve→ approved ─publish→ published ─(expire_at)→ expired
      ↑               │ reject            │ return (desk)     │
      └── edit ── rejected ←──────────────┘                   └─withdraw→ withdrawn

Content is frozen at approval: its sha256 is stored, any edit of an approved (or submitted, or returned) notice
sends it back to draft, and publishing refuses content that no longer matches what the reviewer approved."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.errors import DomainError, InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Category, Department, Role, SupportGroup, User

from . import rules
from .markdown import render_markdown
from .models import Notice, NoticeAudienceRole, NoticeDelivery, NoticeEvent

logger = logging.getLogger(__name__)

S = Notice.Status
E = NoticeEvent.Kind

TITLE_MAX = 200
BODY_MAX = 20000

ACTION_LABELS = {
    "edit": gettext_lazy("edit"),
    "submit": gettext_lazy("submit"),
    "approve": gettext_lazy("approve"),
    "reject": gettext_lazy("reject"),
    "return": gettext_lazy("return to the owner"),
    "publish": gettext_lazy("publish"),
    "withdraw": gettext_lazy("withdraw"),
    "resend": gettext_lazy("resend"),
}


def min_lead() -> timedelta:
    """How long before its window a planned-maintenance notice must be published (default 24 hours)."""
    return timedelta(hours=getattr(settings, "NOTICE_MIN_LEAD_HOURS", 24))


def email_batch_size() -> int:
    return max(1, int(getattr(settings, "NOTICE_EMAIL_BATCH_SIZE", 100)))


# --- helpers -----------------------------------------------------------------------------------------------


def _lock(notice: Notice | int) -> Notice:
    """Re-read the row under FOR UPDATE: racing reviewers and publishers serialise here and see each other's result."""
    pk = notice if isinstance(notice, int) else notice.pk
    return Notice.objects.select_for_update(of=("self",)).select_related("owner_group").get(pk=pk)


def _require(actor: User | None, action: str, notice: Notice) -> None:
    """The state machine first (409), then who may take the step (403) — as for tickets, so the loser of a race
    gets a 409, not a 403."""
    allowed_from = rules.TRANSITIONS.get(action)
    if allowed_from is not None and notice.status not in allowed_from:
        raise InvalidTransition(
            _("Cannot %(action)s this notice while it is %(status)s.")
            % {"action": ACTION_LABELS.get(action, action), "status": notice.get_status_display().lower()}
        )
    if not rules.may(actor, action, notice):
        raise NotAllowed(_refusal(actor, action, notice))


def _refusal(actor: User | None, action: str, notice: Notice) -> str:
    if actor is not None and action == "edit" and rules.is_desk(actor):
        return _(
            "The service desk may publish this notice on behalf of %(group)s but must not change its content. "
            "If something is wrong, return it to the team with a comment."
        ) % {"group": notice.owner_group}
    if action in ("approve", "reject"):
        return _("Only the responsible person of %(group)s (or a desk supervisor) can review this notice.") % {
            "group": notice.owner_group
        }
    if action in ("edit", "submit"):
        return _("Only the author and the members of %(group)s can change this notice.") % {"group": notice.owner_group}
    return _("You are not allowed to %(action)s this notice.") % {"action": ACTION_LABELS.get(action, action)}


def record_event(
    notice: Notice, actor: User | None, kind: str, data: dict[str, Any] | None = None, *, at: datetime | None = None
) -> NoticeEvent:
    event = NoticeEvent.objects.create(
        notice=notice,
        actor=actor if actor is not None and actor.pk else None,
        kind=kind,
        data=data or {},
        at=at or timezone.now(),
    )
    if kind in NOTIFY_KINDS:
        from .tasks import notice_notify_task

        transaction.on_commit(partial(notice_notify_task.delay, event_id=event.pk))
    return event


NOTIFY_KINDS = {E.SUBMITTED, E.APPROVED, E.REJECTED, E.RETURNED, E.PUBLISHED}


def _current_changed() -> None:
    """The set of current notices changed: banners are rebuilt on their next view (after commit)."""
    from .selectors import invalidate_current

    transaction.on_commit(invalidate_current)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def content_of(notice: Notice) -> dict[str, Any]:
    """Everything the reviewer approves: text, timing, audience, owner. Read from the database (M2M included)."""
    return {
        "type": notice.type,
        "title": notice.title,
        "body": notice.body,
        "severity": notice.severity,
        "window_start": _iso(notice.window_start),
        "window_end": _iso(notice.window_end),
        "publish_at": _iso(notice.publish_at),
        "expire_at": _iso(notice.expire_at),
        "owner_group": notice.owner_group_id,
        "categories": sorted(notice.categories.values_list("pk", flat=True)),
        "audience_departments": sorted(notice.audience_departments.values_list("pk", flat=True)),
        "audience_roles": sorted(notice.audience_role_rows.values_list("role", flat=True)),
    }


def content_hash(notice: Notice) -> str:
    canonical = json.dumps(content_of(notice), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def is_late(notice: Notice, published_at: datetime) -> bool:
    """A planned-maintenance notice counts as late when it goes out less than the minimum lead time before its
    window starts (or after it started)."""
    if notice.type != Notice.Type.MAINTENANCE or notice.window_start is None:
        return False
    return published_at > notice.window_start - min_lead()


# --- input ---------------------------------------------------------------------------------------------------


@dataclass
class NoticeInput:
    type: str
    title: str
    body: str
    owner_group: SupportGroup | None
    severity: str = Notice.Severity.INFO
    window_start: datetime | None = None
    window_end: datetime | None = None
    publish_at: datetime | None = None
    expire_at: datetime | None = None
    categories: Sequence[Category] = field(default_factory=list)
    audience_departments: Sequence[Department] = field(default_factory=list)
    audience_roles: Sequence[str] = field(default_factory=list)


SCALAR_FIELDS = ("type", "title", "body", "severity", "window_start", "window_end", "publish_at", "expire_at")
RELATION_FIELDS = ("owner_group", "categories", "audience_departments", "audience_roles")
EDITABLE_FIELDS = (*SCALAR_FIELDS, *RELATION_FIELDS)


def _validate(values: dict[str, Any], *, changed: Iterable[str], now: datetime) -> dict[str, Any]:
    """Check a whole notice (current values merged with the changes); return the cleaned values. Times set in
    this step must not already be over; a window ends after it starts; a notice expires after it is published."""
    errors: dict[str, list[str]] = {}
    changed = set(changed)
    title = (values.get("title") or "").strip()
    body = (values.get("body") or "").strip()
    if not title:
        errors["title"] = [_("Give the notice a short, clear title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("The title is too long (at most 200 characters).")]
    if not body:
        errors["body"] = [_("Say what happens, who is affected and what to do.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("The text is too long (at most 20,000 characters).")]
    if values.get("type") not in Notice.Type.values:
        errors["type"] = [_("Choose maintenance, outage, change or general.")]
    if values.get("severity") not in Notice.Severity.values:
        errors["severity"] = [_("Choose info, minor, major or critical.")]
    group = values.get("owner_group")
    if group is None:
        errors["owner_group"] = [_("Choose the team that owns this notice.")]
    elif not group.is_active:
        errors["owner_group"] = [_("This team is inactive.")]
    roles = list(dict.fromkeys(values.get("audience_roles") or []))
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        errors["audience_roles"] = [_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}]
    start, end = values.get("window_start"), values.get("window_end")
    if end is not None and start is None:
        errors["window_start"] = [_("Give the start of the window too.")]
    elif start is not None and end is not None and end <= start:
        errors["window_end"] = [_("The window must end after it starts.")]
    publish_at, expire_at = values.get("publish_at"), values.get("expire_at")
    if publish_at is not None and expire_at is not None and expire_at <= publish_at:
        errors["expire_at"] = [_("The notice must expire after it is published.")]
    elif expire_at is not None and "expire_at" in changed and expire_at <= now:
        errors["expire_at"] = [_("This expiry time is already past.")]
    if errors:
        raise ValidationFailed(errors)
    return {**values, "title": title, "body": body, "audience_roles": roles}


def _apply_relations(notice: Notice, values: dict[str, Any], fields: Iterable[str]) -> None:
    fields = set(fields)
    if "categories" in fields:
        notice.categories.set(values.get("categories") or [])
    if "audience_departments" in fields:
        notice.audience_departments.set(values.get("audience_departments") or [])
    if "audience_roles" in fields:
        roles = values.get("audience_roles") or []
        NoticeAudienceRole.objects.filter(notice=notice).exclude(role__in=roles).delete()
        NoticeAudienceRole.objects.bulk_create(
            [NoticeAudienceRole(notice=notice, role=r) for r in roles], ignore_conflicts=True
        )


# --- drafting -----------------------------------------------------------------------------------------------


@transaction.atomic
def notice_create(*, actor: User, data: NoticeInput) -> Notice:
    """A new draft by a member of the owner team (or a supervisor, an administrator, the incident manager)."""
    if not rules.participates(actor):
        raise NotAllowed(_("Only support teams and the service desk write notices."))
    if data.owner_group is not None and not rules.may_draft_for(actor, data.owner_group):
        raise NotAllowed(
            _("Notices of %(group)s are written by its members. Ask them, or choose your own team.")
            % {"group": data.owner_group}
        )
    now = timezone.now()
    values = _validate(vars(data).copy(), changed=EDITABLE_FIELDS, now=now)
    notice = Notice(author=actor, status=S.DRAFT, body_html=render_markdown(values["body"]))
    for name in SCALAR_FIELDS:
        setattr(notice, name, values[name])
    notice.owner_group = values["owner_group"]
    notice.save()
    _apply_relations(notice, values, RELATION_FIELDS)
    record_event(notice, actor, E.CREATED, {"type": notice.type, "owner_group": notice.owner_group_id})
    return notice


@transaction.atomic
def notice_update(*, notice: Notice, actor: User, **changes: Any) -> Notice:
    """Change the content of a notice that is not yet published. A change to a submitted, approved or returned
    notice sends it back to draft: the approval no longer covers it and it must be reviewed again. The desk, which
    publishes on the team's behalf, may not change the content at all (403)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    notice = _lock(notice)
    if notice.status not in rules.TRANSITIONS["edit"]:
        raise InvalidTransition(
            _("A %(status)s notice cannot be changed. Withdraw it and write a corrected one.")
            % {"status": notice.get_status_display().lower()}
        )
    _require(actor, "edit", notice)
    before = content_of(notice)
    current: dict[str, Any] = {name: getattr(notice, name) for name in SCALAR_FIELDS}
    current["owner_group"] = notice.owner_group
    current["categories"] = list(notice.categories.all())
    current["audience_departments"] = list(notice.audience_departments.all())
    current["audience_roles"] = before["audience_roles"]
    new_group = changes.get("owner_group")
    if new_group is not None and new_group.pk != notice.owner_group_id and not rules.may_draft_for(actor, new_group):
        raise NotAllowed(_("You cannot hand this notice to %(group)s.") % {"group": new_group})
    values = _validate({**current, **changes}, changed=changes, now=timezone.now())
    for name in SCALAR_FIELDS:
        setattr(notice, name, values[name])
    notice.owner_group = values["owner_group"]
    notice.body_html = render_markdown(notice.body)
    notice.save(update_fields=[*SCALAR_FIELDS, "owner_group", "body_html", "updated_at"])
    _apply_relations(notice, values, [f for f in RELATION_FIELDS if f in changes])
    after = content_of(notice)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return notice
    record_event(notice, actor, E.EDITED, {"fields": changed})
    if notice.status != S.DRAFT:
        old = notice.status
        _back_to_draft(notice)
        record_event(notice, actor, E.REOPENED, {"from": old, "reason": "edited"})
    return notice


def _back_to_draft(notice: Notice) -> None:
    notice.status = S.DRAFT
    notice.approved_hash = ""
    notice.reviewer = None
    notice.reviewed_at = None
    notice.save(update_fields=["status", "approved_hash", "reviewer", "reviewed_at", "updated_at"])


# --- review ---------------------------------------------------------------------------------------------------


@transaction.atomic
def notice_submit(*, notice: Notice, actor: User) -> Notice:
    """DRAFT / REJECTED → SUBMITTED: the owner team asks its responsible person to review. Planned maintenance
    must say when it starts (that is what timeliness is measured against)."""
    notice = _lock(notice)
    _require(actor, "submit", notice)
    if notice.type == Notice.Type.MAINTENANCE and notice.window_start is None:
        raise ValidationFailed({"window_start": [_("Planned maintenance needs the time the work starts.")]})
    if notice.expire_at is not None and notice.expire_at <= timezone.now():
        raise ValidationFailed({"expire_at": [_("This notice has already passed its expiry time.")]})
    old = notice.status
    notice.status = S.SUBMITTED
    notice.submitted_at = timezone.now()
    notice.rejection_reason = ""
    notice.save(update_fields=["status", "submitted_at", "rejection_reason", "updated_at"])
    record_event(notice, actor, E.SUBMITTED, {"from": old, "late": would_be_late(notice)})
    return notice


def would_be_late(notice: Notice, at: datetime | None = None) -> bool:
    """Whether publishing at its scheduled time (or now, without one) would already be late."""
    when = notice.publish_at or at or timezone.now()
    return is_late(notice, max(when, at or timezone.now()))


@transaction.atomic
def notice_approve(*, notice: Notice, actor: User) -> Notice:
    """SUBMITTED → APPROVED by the owner team's responsible person (or a supervisor standing in). The content is
    frozen: its hash is stored and publishing checks it."""
    notice = _lock(notice)
    _require(actor, "approve", notice)
    now = timezone.now()
    notice.status = S.APPROVED
    notice.reviewer = actor
    notice.reviewed_at = now
    notice.approved_hash = content_hash(notice)
    notice.save(update_fields=["status", "reviewer", "reviewed_at", "approved_hash", "updated_at"])
    record_event(notice, actor, E.APPROVED, {"hash": notice.approved_hash}, at=now)
    return notice


def _reason(reason: str, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({field_name: [_("Say what must be corrected.")]})
    if len(reason) > 2000:
        raise ValidationFailed({field_name: [_("The reason is too long (at most 2,000 characters).")]})
    return reason


@transaction.atomic
def notice_reject(*, notice: Notice, actor: User, reason: str) -> Notice:
    """SUBMITTED → REJECTED with the reviewer's reason; the owner corrects it and submits again."""
    notice = _lock(notice)
    _require(actor, "reject", notice)
    reason = _reason(reason)
    notice.status = S.REJECTED
    notice.reviewer = actor
    notice.reviewed_at = timezone.now()
    notice.rejection_reason = reason
    notice.save(update_fields=["status", "reviewer", "reviewed_at", "rejection_reason", "updated_at"])
    record_event(notice, actor, E.REJECTED, {"reason": reason})
    return notice


@transaction.atomic
def notice_return(*, notice: Notice, actor: User, reason: str) -> Notice:
    """APPROVED → REJECTED by the desk (or the reviewer) who doubts the content: it goes back to the owner team
    with the comment, unchanged; the team corrects it and it is reviewed again."""
    notice = _lock(notice)
    _require(actor, "return", notice)
    reason = _reason(reason)
    notice.status = S.REJECTED
    notice.rejection_reason = reason
    notice.approved_hash = ""
    notice.save(update_fields=["status", "rejection_reason", "approved_hash", "updated_at"])
    record_event(notice, actor, E.RETURNED, {"reason": reason})
    return notice


# --- publication -----------------------------------------------------------------------------------------------


def notice_publish(*, notice: Notice, actor: User | None) -> Notice:
    """APPROVED → PUBLISHED now, by the owner team or by the desk on its behalf (recorded as such); the scheduler
    (actor None) does the same at `publish_at`. Refuses content that no longer matches the approved hash — the
    notice then goes back to draft (that change is kept) and the caller gets a 409. Of two publishers at once,
    the second waits on the row lock and gets a 409: the notice is published and emailed once."""
    published, error = _publish(notice.pk, actor)
    if error is not None:
        raise error
    return published


@transaction.atomic
def _publish(pk: int, actor: User | None) -> tuple[Notice, DomainError | None]:
    notice = _lock(pk)
    _require(actor, "publish", notice)
    now = timezone.now()
    if notice.expire_at is not None and notice.expire_at <= now:
        raise InvalidTransition(_("This notice has already passed its expiry time; it can no longer be published."))
    if not _approved_content_intact(notice, actor):
        return notice, InvalidTransition(
            _("The content changed after it was approved. The notice is back in draft and must be reviewed again.")
        )
    _do_publish(notice, actor, now)
    return notice, None


def _approved_content_intact(notice: Notice, actor: User | None) -> bool:
    if notice.approved_hash and content_hash(notice) == notice.approved_hash:
        return True
    _back_to_draft(notice)
    record_event(notice, actor, E.REOPENED, {"from": S.APPROVED, "reason": "content_changed"})
    return False


def _do_publish(notice: Notice, actor: User | None, now: datetime) -> None:
    notice.status = S.PUBLISHED
    notice.published_at = now
    notice.publisher = actor if actor is not None and actor.pk else None
    notice.published_on_behalf = actor is not None and not rules.in_team(actor, notice.owner_group_id)
    notice.is_late = is_late(notice, now)
    notice.save(update_fields=["status", "published_at", "publisher", "published_on_behalf", "is_late", "updated_at"])
    record_event(
        notice,
        actor,
        E.PUBLISHED,
        {"on_behalf": notice.published_on_behalf, "late": notice.is_late, "scheduled": actor is None},
        at=now,
    )
    _current_changed()
    from .tasks import notice_deliver_task

    transaction.on_commit(partial(notice_deliver_task.delay, notice_id=notice.pk))


@transaction.atomic
def notice_withdraw(*, notice: Notice, actor: User, reason: str = "") -> Notice:
    """Any stage before the end → WITHDRAWN (final): the team, its reviewer or the desk takes the notice down.
    Emails not yet sent are not sent."""
    notice = _lock(notice)
    _require(actor, "withdraw", notice)
    reason = (reason or "").strip()[:2000]
    old = notice.status
    notice.status = S.WITHDRAWN
    notice.ended_at = timezone.now()
    notice.save(update_fields=["status", "ended_at", "updated_at"])
    record_event(notice, actor, E.WITHDRAWN, {"from": old, "reason": reason})
    if old == S.PUBLISHED:
        _current_changed()
    return notice


def _expire(notice: Notice, now: datetime) -> None:
    old = notice.status
    notice.status = S.EXPIRED
    notice.ended_at = now
    notice.save(update_fields=["status", "ended_at", "updated_at"])
    record_event(notice, None, E.EXPIRED, {"from": old}, at=now)
    if old == S.PUBLISHED:
        _current_changed()


def notice_sweep(*, now: datetime | None = None, batch_size: int = 100) -> dict[str, int]:
    """The beat's clock work: publish approved notices whose publish-at has come, expire published notices past
    their expire-at (and approved ones that expired before they went out). Rows are claimed with FOR UPDATE SKIP
    LOCKED in short batches over partial indexes: concurrent sweeps share the work, a re-run finds nothing left,
    and a notice a person is publishing right now is simply skipped (their lock) and found published next time."""
    now = now or timezone.now()
    totals = {"published": 0, "expired": 0, "returned_to_draft": 0}
    while True:
        with transaction.atomic():
            batch = list(
                Notice.objects.select_for_update(skip_locked=True)
                .filter(status=S.APPROVED, publish_at__lte=now)
                .order_by("publish_at", "pk")[:batch_size]
            )
            for notice in batch:
                if notice.expire_at is not None and notice.expire_at <= now:
                    _expire(notice, now)
                    totals["expired"] += 1
                elif _approved_content_intact(notice, None):
                    _do_publish(notice, None, now)
                    totals["published"] += 1
                else:
                    totals["returned_to_draft"] += 1
        if len(batch) < batch_size:
            break
    while True:
        with transaction.atomic():
            batch = list(
                Notice.objects.select_for_update(skip_locked=True)
                .filter(status=S.PUBLISHED, expire_at__lte=now)
                .order_by("expire_at", "pk")[:batch_size]
            )
            for notice in batch:
                _expire(notice, now)
                totals["expired"] += 1
        if len(batch) < batch_size:
            break
    return totals


# --- email delivery --------------------------------------------------------------------------------------------


def audience_users(notice: Notice):
    """Active people the notice is meant for: members of its departments or holders of its roles (superusers
    hold every role); everyone when it names neither."""
    departments = list(notice.audience_departments.values_list("pk", flat=True))
    roles = list(notice.audience_role_rows.values_list("role", flat=True))
    users = User.objects.filter(is_active=True)
    if not departments and not roles:
        return users
    match = Q(pk__in=[])
    if departments:
        match |= Q(department_id__in=departments)
    if roles:
        match |= Q(groups__name__in=roles) | Q(is_superuser=True)
    return users.filter(pk__in=User.objects.filter(match).values("pk"))


def notice_delivery_start(*, notice_id: int) -> int:
    """Plan the emails of a published notice — one pending row per audience member with an address, unique per
    notice and person (a re-run or a second publish adds nothing) — and queue them in batches. Returns how many
    rows are waiting to be sent."""
    from .tasks import notice_send_batch_task

    notice = Notice.objects.filter(pk=notice_id, status=S.PUBLISHED).first()
    if notice is None:
        return 0
    recipients = audience_users(notice).exclude(email="").values_list("pk", "email")
    with transaction.atomic():
        before = NoticeDelivery.objects.filter(notice=notice).count()
        NoticeDelivery.objects.bulk_create(
            [NoticeDelivery(notice=notice, recipient_id=pk, email=email) for pk, email in recipients.iterator()],
            ignore_conflicts=True,
            batch_size=1000,
        )
        added = NoticeDelivery.objects.filter(notice=notice).count() - before
        if added:
            record_event(notice, None, E.DELIVERY_STARTED, {"recipients": added})
    pending = list(
        NoticeDelivery.objects.filter(notice=notice, status=NoticeDelivery.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = email_batch_size()
    for start in range(0, len(pending), size):
        notice_send_batch_task.delay(notice_id=notice.pk, delivery_ids=pending[start : start + size])
    return len(pending)


def send_notice_email(notice: Notice, recipient: User, email: str, connection=None) -> None:
    """Send one notice to one person, in their language. Raises on failure (the caller records it)."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    language = recipient.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "notice": notice,
            "recipient": recipient,
            "url": settings.SITE_URL.rstrip("/") + reverse("notices:detail", args=[notice.pk]),
        }
        subject = _("[%(type)s] %(title)s") % {"type": notice.get_type_display(), "title": notice.title}
        text = render_to_string("notices/email.txt", context)
        html = render_to_string("notices/email.html", context)
    message = EmailMultiAlternatives(
        subject.replace("\n", " ")[:200],
        text,
        settings.DEFAULT_FROM_EMAIL,
        [email],
        connection=connection,
        headers={"X-Service-Desk-Notice": str(notice.pk)},  # lets mail rules (and tests) tell notices apart
    )
    message.attach_alternative(html, "text/html")
    message.send()


def notice_send_batch(*, notice_id: int, delivery_ids: Sequence[int]) -> dict[str, int]:
    """Send one batch. Rows are claimed (pending → sending) under SKIP LOCKED and committed before any email goes
    out, so a second worker running the same batch finds nothing to claim; each row then ends sent or failed on
    its own — one bad address does not stop the others."""
    counts = {"sent": 0, "failed": 0}
    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None or notice.status != S.PUBLISHED:
        return counts  # withdrawn or expired meanwhile: what is not sent yet is not sent
    with transaction.atomic():
        claimed = list(
            NoticeDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk__in=list(delivery_ids), notice_id=notice_id, status=NoticeDelivery.Status.PENDING)
            .order_by("pk")
        )
        NoticeDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
            status=NoticeDelivery.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
        )
    if not claimed:
        return counts
    connection = get_connection()
    try:
        connection.open()
    except Exception:  # an unreachable server: every send below fails and is recorded as such
        logger.warning("Could not open the mail connection for notice %s", notice_id, exc_info=True)
    try:
        for delivery in claimed:
            try:
                send_notice_email(notice, delivery.recipient, delivery.email, connection)
            except Exception as exc:
                logger.warning("Notice %s to %s failed: %s", notice_id, delivery.email, exc)
                NoticeDelivery.objects.filter(pk=delivery.pk).update(
                    status=NoticeDelivery.Status.FAILED,
                    last_error=(str(exc) or exc.__class__.__name__)[:300],
                    updated_at=timezone.now(),
                )
                counts["failed"] += 1
            else:
                now = timezone.now()
                NoticeDelivery.objects.filter(pk=delivery.pk).update(
                    status=NoticeDelivery.Status.SENT, sent_at=now, last_error="", updated_at=now
                )
                counts["sent"] += 1
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection must not hide the results
            connection.close()
    return counts


# Rows left "sending" this long belong to a worker that died mid-batch; resend treats them as failed.
STALE_SENDING = timedelta(minutes=15)


@transaction.atomic
def notice_resend_failures(*, notice: Notice, actor: User) -> int:
    """Queue again only the emails that failed (and any a crashed worker left half-sent); sent ones are never
    repeated. Returns how many are queued."""
    from .tasks import notice_send_batch_task

    notice = _lock(notice)
    _require(actor, "resend", notice)
    stale = timezone.now() - STALE_SENDING
    rows = NoticeDelivery.objects.select_for_update(skip_locked=True).filter(
        Q(status=NoticeDelivery.Status.FAILED) | Q(status=NoticeDelivery.Status.SENDING, updated_at__lt=stale),
        notice=notice,
    )
    ids = list(rows.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    NoticeDelivery.objects.filter(pk__in=ids).update(status=NoticeDelivery.Status.PENDING, updated_at=timezone.now())
    record_event(notice, actor, E.RESENT, {"count": len(ids)})
    size = email_batch_size()
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        transaction.on_commit(partial(notice_send_batch_task.delay, notice_id=notice.pk, delivery_ids=chunk))
    return len(ids)


# --- notifications ----------------------------------------------------------------------------------------------


def notice_notify(*, event_id: int) -> int:
    """Tell the people concerned about a workflow step, in-app and by email, once per event and person: the
    reviewer(s) of a submitted notice; the author of an approved, rejected, returned or published one."""
    from django.urls import reverse

    from servicedesk.notifications import notify

    event = NoticeEvent.objects.select_related("notice__owner_group__lead", "notice__author", "actor").filter(
        pk=event_id
    )
    event = event.first()
    if event is None:
        return 0
    notice = event.notice
    recipients: dict[int, User] = {}

    def add(user: User | None) -> None:
        if user is not None and user.is_active and user.pk != event.actor_id:
            recipients.setdefault(user.pk, user)

    if event.kind == E.SUBMITTED:
        lead = notice.owner_group.lead
        if lead is not None and lead.is_active:
            add(lead)
        else:  # a team without a responsible person: the supervisors stand in
            for user in User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True):
                add(user)
    elif event.kind in (E.APPROVED, E.REJECTED, E.RETURNED):
        add(notice.author)
        if event.kind == E.RETURNED:
            add(notice.owner_group.lead)
    elif event.kind == E.PUBLISHED and (event.data.get("on_behalf") or event.data.get("scheduled")):
        add(notice.author)
    title = notice.title
    reason = event.data.get("reason", "")

    def message() -> tuple[str, str]:
        params = {"title": title, "reason": reason, "group": str(notice.owner_group)}
        texts = {
            E.SUBMITTED: (
                _("Notice to review: %(title)s") % params,
                _("%(group)s asks you to review the notice “%(title)s” before it is published.") % params,
            ),
            E.APPROVED: (
                _("Notice approved: %(title)s") % params,
                _("“%(title)s” is approved and can be published.") % params,
            ),
            E.REJECTED: (
                _("Notice returned by the reviewer: %(title)s") % params,
                _("“%(title)s” needs corrections: %(reason)s") % params,
            ),
            E.RETURNED: (
                _("Notice sent back by the service desk: %(title)s") % params,
                _("The service desk did not publish “%(title)s”: %(reason)s") % params,
            ),
            E.PUBLISHED: (
                _("Notice published: %(title)s") % params,
                _("“%(title)s” is now published.") % params,
            ),
        }
        return texts[event.kind]

    url = reverse("notices:detail", args=[notice.pk])
    for user in recipients.values():
        notify(
            recipient=user,
            key=f"notice-event:{event.pk}",
            verb=f"notice_{event.kind}",
            message_factory=message,
            url=url,
        )
    return len(recipients)


# --- outage notices of major incidents -------------------------------------------------------------------------

# How long the notice of a resolved major incident stays up to say so.
RESOLVED_INCIDENT_VISIBLE = timedelta(hours=1)


@transaction.atomic
def notice_incident_broadcast(
    *,
    incident_ticket: Any,
    actor: User,
    title: str,
    body: str,
    owner_group: SupportGroup | None,
    resolved: bool = False,
) -> Notice:
    """Publish, or bring up to date, the outage notice of a major incident.

    A major incident is announced at once by the major-incident manager (通传通报): the broadcast has their
    authority, so this notice skips the team review — it is recorded as written, reviewed and published by the
    manager, with its content hash, and every change is in its trail. The first broadcast publishes it (and emails
    its audience, everyone); later ones rewrite its text without emailing again (the incident's own broadcasts tell
    the people affected); the resolution keeps it up for an hour to say so, then the sweep expires it."""
    if not actor.has_role(Role.INCIDENT_MANAGER):
        raise NotAllowed(_("Only the major-incident manager announces major incidents."))
    now = timezone.now()
    notice = (
        Notice.objects.select_for_update()
        .filter(incident_ticket=incident_ticket, status__in=[S.APPROVED, S.PUBLISHED])
        .order_by("-pk")
        .first()
    )
    if notice is None:
        if resolved:
            raise InvalidTransition(_("This major incident has no published notice to close."))
        group = owner_group or getattr(incident_ticket, "group", None)
        if group is None:
            raise ValidationFailed({"owner_group": [_("Choose the team that owns the outage notice.")]})
        values = _validate(
            {
                "type": Notice.Type.OUTAGE,
                "title": title[:TITLE_MAX],
                "body": body,
                "severity": Notice.Severity.CRITICAL,
                "owner_group": group,
                "window_start": now,
                "window_end": None,
                "publish_at": now,
                "expire_at": None,
                "audience_roles": [],
            },
            changed=(),
            now=now,
        )
        notice = Notice.objects.create(
            type=values["type"],
            title=values["title"],
            body=values["body"],
            body_html=render_markdown(values["body"]),
            severity=values["severity"],
            owner_group=group,
            window_start=now,
            publish_at=now,
            author=actor,
            reviewer=actor,
            reviewed_at=now,
            status=S.APPROVED,
            incident_ticket=incident_ticket,
        )
        notice.approved_hash = content_hash(notice)
        notice.save(update_fields=["approved_hash"])
        record_event(notice, actor, E.CREATED, {"incident": incident_ticket.number}, at=now)
        record_event(notice, actor, E.APPROVED, {"hash": notice.approved_hash, "incident": True}, at=now)
        _do_publish(notice, actor, now)
        return notice
    notice.body = body.strip()[:BODY_MAX]
    notice.body_html = render_markdown(notice.body)
    fields = ["body", "body_html", "approved_hash", "updated_at"]
    if resolved:
        notice.severity = Notice.Severity.INFO
        notice.window_end = now
        notice.expire_at = now + RESOLVED_INCIDENT_VISIBLE
        fields += ["severity", "window_end", "expire_at"]
    notice.approved_hash = content_hash(notice)
    notice.save(update_fields=fields)
    record_event(notice, actor, E.INCIDENT_UPDATE, {"resolved": resolved, "hash": notice.approved_hash}, at=now)
    _current_changed()
    return notice
