"""Tickets and everything recorded on them: the audit trail, comments, attachments, the priority matrix."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class Ticket(models.Model):
    class Type(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        REQUEST = "request", _("Service request")
        INQUIRY = "inquiry", _("Inquiry")
        COMPLAINT = "complaint", _("Complaint")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        PORTAL = "portal", _("Web portal")
        WALK_IN = "walk_in", _("Walk-in")
        API = "api", _("API")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Level(models.IntegerChoices):
        HIGH = 1, _("High")
        MEDIUM = 2, _("Medium")
        LOW = 3, _("Low")

    class Priority(models.IntegerChoices):
        CRITICAL = 1, _("P1 critical")
        HIGH = 2, _("P2 high")
        MEDIUM = 3, _("P3 medium")
        LOW = 4, _("P4 low")

    OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING)
    FINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)
    NUMBER_PREFIX = {Type.INCIDENT: "INC", Type.REQUEST: "REQ", Type.INQUIRY: "INQ", Type.COMPLAINT: "CMP"}

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.INCIDENT)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    department = models.ForeignKey(
        "servicedesk.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Contact details as given at intake; the requester's profile may change later.
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    started_at = models.DateTimeField(_("symptom started at"), null=True, blank=True)
    scope = models.CharField(_("scope of impact"), max_length=200, blank=True)
    category = models.ForeignKey(
        "servicedesk.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices, default=Level.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Level.choices, default=Level.LOW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.LOW)
    is_vip = models.BooleanField(_("VIP"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    group = models.ForeignKey(
        "servicedesk.SupportGroup",
        verbose_name=_("support group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_contact_resolution = models.BooleanField(_("resolved on first contact"), default=False)
    resolution = models.TextField(_("resolution"), blank=True)
    resolution_article = models.ForeignKey(
        "knowledge.Article",
        verbose_name=_("knowledge article used"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved_tickets",
    )
    pending_reason = models.CharField(_("pending reason"), max_length=500, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    # Bumped by every service write: a page that posts the version it showed detects a concurrent change.
    version = models.PositiveIntegerField(_("version"), default=1)
    # The soonest running SLA deadline, kept by the SLA services: "breaching soonest first" is an index scan.
    sla_due = models.DateTimeField(_("SLA due"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            models.Index(fields=["-updated_at"], name="ticket_updated_idx"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_created_idx"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_idx"),
            models.Index(fields=["group", "status", "-created_at"], name="ticket_group_idx"),
            models.Index(fields=["assignee", "status", "-created_at"], name="ticket_assignee_idx"),
            models.Index(fields=["priority", "-created_at"], name="ticket_priority_idx"),
            models.Index(fields=["sla_due"], name="ticket_sla_due_idx", condition=Q(sla_due__isnull=False)),
            models.Index(
                fields=["-created_at", "-id"],
                name="ticket_open_idx",
                condition=Q(status__in=["new", "assigned", "in_progress", "pending"]),
            ),
            # Open tickets breaching soonest first is an index scan, not a sort of every open ticket (an ascending
            # PostgreSQL index keeps nulls last, as "SLA due" orders them).
            models.Index(
                fields=["sla_due", "-created_at", "-id"],
                name="ticket_open_sla_idx",
                condition=Q(status__in=["new", "assigned", "in_progress", "pending"]),
            ),
            # The queue tabs' counts (open, mine, my groups, unassigned) read this index alone, not the open rows.
            models.Index(
                fields=["status"],
                include=["id", "assignee", "group"],
                name="ticket_open_counts_idx",
                condition=Q(status__in=["new", "assigned", "in_progress", "pending"]),
            ),
            # Search: icontains is UPPER(column) LIKE '%term%', which trigram GIN indexes serve (PostgreSQL only;
            # see selectors.search_filter). The SQLite demo searches without them.
            GinIndex(OpClass(Upper("number"), name="gin_trgm_ops"), name="ticket_number_trgm_idx"),
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="ticket_title_trgm_idx"),
            GinIndex(OpClass(Upper("description"), name="gin_trgm_ops"), name="ticket_description_trgm_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=3), name="ticket_impact_range"),
            models.CheckConstraint(condition=Q(urgency__gte=1, urgency__lte=3), name="ticket_urgency_range"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=4), name="ticket_priority_range"),
            models.CheckConstraint(
                condition=~Q(status__in=["assigned", "in_progress", "pending"]) | Q(group__isnull=False),
                name="ticket_dispatched_has_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TicketCounter(models.Model):
    """Ticket serials for databases without sequences (the SQLite demo); PostgreSQL uses a sequence."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class PriorityRule(models.Model):
    """The impact × urgency matrix; a missing cell falls back to min(4, impact + urgency - 1)."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Ticket.Level.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Ticket.Level.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Ticket.Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_rule_unique_cell")]

    def __str__(self) -> str:
        return f"{self.impact}×{self.urgency} → P{self.priority}"


class TicketEvent(models.Model):
    """The append-only audit trail of a ticket: who did what, when."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS_CHANGED = "status_changed", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        COMMENTED = "commented", _("Commented")
        ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
        LINKED = "linked", _("Linked")
        SLA_STARTED = "sla_started", _("SLA started")
        SLA_PAUSED = "sla_paused", _("SLA paused")
        SLA_RESUMED = "sla_resumed", _("SLA resumed")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        SLA_MET = "sla_met", _("SLA met")
        FOLLOWUP_RECORDED = "followup_recorded", _("Follow-up recorded")
        WORK_ORDER = "work_order", _("Work order")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Staff-only events (internal notes) are hidden from the requester's timeline.
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "at", "id"], name="ticket_event_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.body[:40]}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: the user's file name is kept only as data and never reaches the file system.
    import uuid

    return f"attachments/{instance.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    internal = models.BooleanField(_("internal"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


# --- follow-up (回访) and complaints ------------------------------------------------------------------


class FollowUpRule(models.Model):
    """Which resolved tickets get a callback. Without a matching rule every resolved ticket gets one (100 %).

    The most specific matching rule wins: one naming a category beats one naming only a type, which beats a
    catch-all; a rule limited to first-contact resolutions beats the same rule without that limit."""

    name = models.CharField(_("name"), max_length=120)
    ticket_type = models.CharField(_("ticket type"), max_length=16, choices=Ticket.Type.choices, blank=True)
    category = models.ForeignKey(
        "servicedesk.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followup_rules",
        help_text=_("Also applies to its sub-categories."),
    )
    first_contact_only = models.BooleanField(
        _("only tickets resolved on first contact"),
        default=False,
        help_text=_("E.g. inquiries answered on the spot."),
    )
    sample_percent = models.PositiveSmallIntegerField(
        _("callback share (%)"),
        default=0,
        help_text=_("0 exempts these tickets, 100 calls every one of them back, anything between samples them."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")
        constraints = [
            models.CheckConstraint(condition=Q(sample_percent__lte=100), name="followup_rule_percent_range"),
        ]

    def __str__(self) -> str:
        return self.name


class FollowUp(models.Model):
    """The callback after a resolution: due on the desk calendar, worked by a callback agent, done when the user
    confirmed (or reopened) the fix, unreachable after repeated failed calls, cancelled when the ticket reopens."""

    class State(models.TextChoices):
        DUE = "due", _("Due")
        DONE = "done", _("Done")
        UNREACHABLE = "unreachable", _("Unreachable")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        CLOSED = "closed", _("Fix confirmed, ticket closed")
        REOPENED = "reopened", _("Not satisfied, ticket reopened")
        NOT_REACHED = "not_reached", _("Not reached")
        UNREACHABLE = "unreachable", _("Unreachable, ticket closed")
        CANCELLED = "cancelled", _("Ticket reopened before the callback")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="followups")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("callback agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DUE)
    due_at = models.DateTimeField(_("due at"))
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    fix_confirmed = models.BooleanField(_("fix confirmed"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Set once by the sweep when the overdue follow-up was escalated to the supervisors.
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # Bumped by every recording: a page that posts the version it showed detects a colleague's call.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=Q(state="due"), name="followup_one_open_per_ticket"),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="followup_satisfaction_range",
            ),
        ]
        indexes = [
            # The worklist, the digest and the sweep read open follow-ups by due date.
            models.Index(fields=["due_at"], name="followup_open_due_idx", condition=Q(state="due")),
            models.Index(fields=["assignee", "state", "due_at"], name="followup_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.state} {self.due_at:%Y-%m-%d}"


class FollowUpAttempt(models.Model):
    """One call (or the requester's own rating through the emailed link): who, when, and what was heard."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Callback")
        SELF_SERVICE = "self_service", _("Requester's own rating")

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="attempts")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PHONE)
    at = models.DateTimeField(_("at"))
    reached = models.BooleanField(_("reached"))
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    fix_confirmed = models.BooleanField(_("fix confirmed"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("follow-up attempt")
        verbose_name_plural = _("follow-up attempts")
        indexes = [models.Index(fields=["followup", "at"], name="followup_attempt_idx")]

    def __str__(self) -> str:
        return f"{self.followup_id} {self.at:%Y-%m-%d %H:%M} {'reached' if self.reached else 'not reached'}"


class Complaint(models.Model):
    """A complaint ticket's subject — a support group, a person, or an earlier ticket — and its handling: routed to
    the responsible person (the group's lead), investigated in internal notes, a result fed back to the
    complainant, and the complainant's satisfaction with that result."""

    class About(models.TextChoices):
        GROUP = "group", _("A support group")
        PERSON = "person", _("A person")
        TICKET = "ticket", _("An earlier ticket")

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("complaint ticket"), on_delete=models.CASCADE, related_name="complaint"
    )
    about = models.CharField(_("about"), max_length=16, choices=About.choices)
    about_group = models.ForeignKey(
        "servicedesk.SupportGroup",
        verbose_name=_("support group complained about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    about_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person complained about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    about_ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket complained about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_about",
    )
    # The team the complaint counts against, and its responsible person who handles it.
    group = models.ForeignKey(
        "servicedesk.SupportGroup",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_to_handle",
    )
    result = models.TextField(_("result"), blank=True)
    result_at = models.DateTimeField(_("result communicated at"), null=True, blank=True)
    result_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("result by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    satisfaction = models.PositiveSmallIntegerField(_("complainant's satisfaction"), null=True, blank=True)
    satisfaction_at = models.DateTimeField(_("satisfaction recorded at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=(Q(about="group") & Q(about_group__isnull=False))
                | (Q(about="person") & Q(about_person__isnull=False))
                | (Q(about="ticket") & Q(about_ticket__isnull=False)),
                name="complaint_names_its_subject",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="complaint_satisfaction_range",
            ),
        ]
        indexes = [models.Index(fields=["group", "-created_at"], name="complaint_group_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.about}"


# --- major incidents (重大故障) ------------------------------------------------------------------------------


class MajorIncident(models.Model):
    """A ticket the major-incident manager declared a major incident. Related reports link to its ticket as
    children (Ticket.parent); updates are broadcast to everyone affected until it is resolved, and resolving it
    resolves the children that are still open. Behaviour: tickets/major_incidents.py."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="major_incident"
    )
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("incident manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    declared_at = models.DateTimeField(_("declared at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        indexes = [models.Index(fields=["status", "-declared_at"], name="major_incident_status_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class MajorIncidentUpdate(models.Model):
    """One entry of a major incident's timeline (通传通报): broadcast to the requesters of the linked tickets and to
    the subscribers, once each (the notification key names the update)."""

    class Kind(models.TextChoices):
        DECLARED = "declared", _("Declared")
        UPDATE = "update", _("Update")
        RESOLVED = "resolved", _("Resolved")

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.UPDATE)
    body = models.TextField(_("update"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    as_notice = models.BooleanField(_("also as an outage notice"), default=False)
    # People not to tell (e.g. requesters whose own ticket's resolution already told them).
    skip_user_ids = models.JSONField(default=list, blank=True)
    recipients = models.PositiveIntegerField(_("people told"), default=0)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("major incident update")
        verbose_name_plural = _("major incident updates")
        indexes = [models.Index(fields=["incident", "at", "id"], name="major_incident_update_idx")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class MajorIncidentSubscriber(models.Model):
    """Someone who asked to hear every update of a major incident (a manager, a VIP's assistant, a team)."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="subscribers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("major incident subscriber")
        verbose_name_plural = _("major incident subscribers")
        constraints = [models.UniqueConstraint(fields=["incident", "user"], name="major_incident_subscriber_once")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.user_id}"


# --- quality inspection (质检) ------------------------------------------------------------------------------


class Inspection(models.Model):
    """A quality inspector's round: a random sample of the tickets each person resolved that were closed in a
    period, each then scored on the checklist. Behaviour: tickets/inspection.py."""

    class Scale(models.TextChoices):
        POINTS = "points", _("Points 0–5 per item")
        PASS_FAIL = "pass_fail", _("Pass or fail per item")

    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT, related_name="inspections"
    )
    period_start = models.DateField(_("closed from"))
    period_end = models.DateField(_("closed until"))
    per_agent = models.PositiveSmallIntegerField(_("tickets per person"))
    scale = models.CharField(_("scale"), max_length=16, choices=Scale.choices, default=Scale.POINTS)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quality inspection")
        verbose_name_plural = _("quality inspections")
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="inspection_period_order"),
            models.CheckConstraint(condition=Q(per_agent__gte=1, per_agent__lte=50), name="inspection_per_agent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end} ({self.inspector_id})"


# The inspection checklist, in the order the forms show it.
INSPECTION_CRITERIA = ("courtesy", "classification", "record", "knowledge", "timeliness")


class InspectionItem(models.Model):
    """One sampled ticket and its scores on the checklist (0–5 each, or 1/0 for pass/fail). `agent` is the person
    whose handling is scored (who resolved the ticket); `score` is the result in percent, kept for the reports."""

    CRITERIA = INSPECTION_CRITERIA

    class State(models.TextChoices):
        PENDING = "pending", _("To score")
        SCORED = "scored", _("Scored")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="items")
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="inspection_items"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="inspection_items"
    )
    ticket_closed_at = models.DateTimeField(_("ticket closed at"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    courtesy = models.PositiveSmallIntegerField(_("courtesy"), null=True, blank=True)
    classification = models.PositiveSmallIntegerField(_("correct classification"), null=True, blank=True)
    record = models.PositiveSmallIntegerField(_("complete record"), null=True, blank=True)
    knowledge = models.PositiveSmallIntegerField(_("knowledge used"), null=True, blank=True)
    timeliness = models.PositiveSmallIntegerField(_("timely updates"), null=True, blank=True)
    score = models.DecimalField(_("score (%)"), max_digits=4, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scored by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        ordering = ["agent_id", "ticket_closed_at", "id"]
        verbose_name = _("inspected ticket")
        verbose_name_plural = _("inspected tickets")
        constraints = [
            # A ticket is inspected once: a later sample never draws it again.
            models.UniqueConstraint(fields=["ticket"], name="inspection_item_ticket_once"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{c}__isnull": True}) | Q(**{f"{c}__lte": 5}), name=f"inspection_item_{c}_range"
                )
                for c in INSPECTION_CRITERIA
            ),
        ]
        indexes = [
            # "My scores" and the scores per agent over time.
            models.Index(fields=["agent", "ticket_closed_at"], name="inspection_item_agent_idx"),
            models.Index(fields=["inspection", "state"], name="inspection_item_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.ticket_id} {self.state}"


# --- onsite work orders (上门工单) -----------------------------------------------------------------------------


def signature_path(instance: WorkOrder, filename: str) -> str:
    # A random name under the private upload storage (outside the web root): served only by a checked view.
    import uuid

    return f"workorders/{instance.pk}/{uuid.uuid4().hex}.png"


class WorkOrder(models.Model):
    """A technician's visit to the customer for a ticket. Behaviour: tickets/workorders.py."""

    class State(models.TextChoices):
        DISPATCHED = "dispatched", _("Dispatched")
        ACCEPTED = "accepted", _("Accepted")
        EN_ROUTE = "en_route", _("On the way")
        ON_SITE = "on_site", _("On site")
        DIAGNOSED = "diagnosed", _("Diagnosed, quote given")
        QUOTE_APPROVED = "quote_approved", _("Quote approved")
        QUOTE_DECLINED = "quote_declined", _("Quote declined")
        REPAIRED_ONSITE = "repaired_onsite", _("Repaired on site")
        TAKEN_BACK = "taken_back", _("Device taken back")
        RETURNED = "returned", _("Device returned")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Signoff(models.TextChoices):
        SIGNATURE = "signature", _("Signature")
        CODE = "code", _("Confirmation code")

    FINAL_STATES = (State.COMPLETED, State.CANCELLED)

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="work_orders")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("technician"), on_delete=models.PROTECT, related_name="work_orders"
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DISPATCHED)
    site_address = models.CharField(_("site address"), max_length=300)
    contact_name = models.CharField(_("contact name"), max_length=120, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatched by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("dispatched at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    # Arrival target: acceptance + 30 minutes, or the appointment; warning and breach are set once by the sweep.
    arrival_due_at = models.DateTimeField(_("arrival due"), null=True, blank=True)
    arrival_warned_at = models.DateTimeField(_("arrival warning at"), null=True, blank=True)
    arrival_breached_at = models.DateTimeField(_("arrival breached at"), null=True, blank=True)
    diagnosed_at = models.DateTimeField(_("diagnosed at"), null=True, blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    # The quote exactly as the customer saw it; never changed after the customer decided.
    quote_amount = models.DecimalField(_("quote amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    quote_notes = models.TextField(_("quote notes"), blank=True)
    quote_decided_at = models.DateTimeField(_("quote decided at"), null=True, blank=True)
    repaired_at = models.DateTimeField(_("repaired at"), null=True, blank=True)
    repair_notes = models.TextField(_("repair notes"), blank=True)
    taken_back_at = models.DateTimeField(_("taken back at"), null=True, blank=True)
    promised_return_at = models.DateTimeField(_("promised return"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    signoff_method = models.CharField(_("sign-off"), max_length=16, choices=Signoff.choices, blank=True)
    signer_name = models.CharField(_("signed by"), max_length=120, blank=True)
    signature = models.FileField(_("signature"), upload_to=signature_path, blank=True, max_length=200)
    # One-time confirmation code sent to the requester: only its keyed hash is kept.
    code_hash = models.CharField(max_length=128, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["appointment_at", "created_at", "id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            models.Index(fields=["technician", "state"], name="workorder_tech_state_idx"),
            models.Index(fields=["ticket"], name="workorder_ticket_idx"),
            # The arrival sweep reads the due, not yet arrived orders by this partial index.
            models.Index(
                fields=["arrival_due_at"],
                name="workorder_arrival_due_idx",
                condition=Q(arrived_at__isnull=True, arrival_due_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quote_amount__isnull=True) | Q(quote_amount__gte=0), name="workorder_quote_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"WO-{self.pk}"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES


class WorkOrderStep(models.Model):
    """Every step taken on a work order, under the client's idempotency key: a repeated tap or a resent request
    with the same key finds its row and changes nothing."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="steps")
    key = models.UUIDField(_("idempotency key"))
    action = models.CharField(_("action"), max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("work order step")
        verbose_name_plural = _("work order steps")
        constraints = [models.UniqueConstraint(fields=["work_order", "key"], name="workorder_step_key_once")]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.action}"


class WorkOrderTime(models.Model):
    """Time worked on an order: who, from, to (open while `ended_at` is null)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="time_entries")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("technician"), on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="workorder_time_order",
            ),
            # One running timer per person and order.
            models.UniqueConstraint(
                fields=["work_order", "technician"], condition=Q(ended_at__isnull=True), name="workorder_time_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.technician_id} {self.started_at:%H:%M}"


class WorkOrderPart(models.Model):
    """A part or material used, with its cost."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts")
    description = models.CharField(_("part or material"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=10, decimal_places=2)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        constraints = [
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="workorder_part_cost_nonnegative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="workorder_part_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"

    @property
    def total(self):
        return self.unit_cost * self.quantity
