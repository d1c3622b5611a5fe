"""Announcements (公告): planned maintenance, outages, service changes and general notices, written by the owning
team, reviewed by its responsible person, published by the team or by the desk on its behalf, delivered by email
to their audience, and expired on time. Behaviour lives in notices/services.py; these are the tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from servicedesk.models import Role


class Notice(models.Model):
    class Type(models.TextChoices):
        MAINTENANCE = "maintenance", _("Planned maintenance")
        OUTAGE = "outage", _("Outage")
        CHANGE = "change", _("Service change")
        GENERAL = "general", _("General")

    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        MINOR = "minor", _("Minor impact")
        MAJOR = "major", _("Major impact")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Returned for correction")
        PUBLISHED = "published", _("Published")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    FINAL_STATUSES = (Status.EXPIRED, Status.WITHDRAWN)
    # The owner may still change these; approved, published and final notices are frozen.
    EDITABLE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.REJECTED)

    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.GENERAL)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    # The sanitised HTML of `body`, rendered once by the service that writes `body`.
    body_html = models.TextField(_("text (HTML)"), blank=True, editable=False)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.INFO)
    categories = models.ManyToManyField(
        "servicedesk.Category", verbose_name=_("affected services"), blank=True, related_name="notices"
    )
    window_start = models.DateTimeField(_("starts at"), null=True, blank=True)
    window_end = models.DateTimeField(_("ends at"), null=True, blank=True)
    audience_departments = models.ManyToManyField(
        "servicedesk.Department", verbose_name=_("departments"), blank=True, related_name="notices"
    )
    owner_group = models.ForeignKey(
        "servicedesk.SupportGroup", verbose_name=_("owner team"), on_delete=models.PROTECT, related_name="notices"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices_written",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices_reviewed",
    )
    publisher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("publisher"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices_published",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    expire_at = models.DateTimeField(_("expire at"), null=True, blank=True)

    # Filled in by the workflow.
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason returned"), blank=True)
    # sha256 of the content the reviewer approved; publishing checks the content still matches it.
    approved_hash = models.CharField(_("approved content hash"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_on_behalf = models.BooleanField(_("published by the desk on behalf of the team"), default=False)
    # Set when published: a maintenance notice published less than NOTICE_MIN_LEAD_HOURS before its window.
    is_late = models.BooleanField(_("late"), default=False)
    ended_at = models.DateTimeField(_("expired or withdrawn at"), null=True, blank=True)
    # A notice raised from a major incident is kept up to date by the incident's broadcasts.
    incident_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("major incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [
            # The sweep: approved notices due for publication, published ones due to expire.
            models.Index(fields=["publish_at"], name="notice_due_publish_idx", condition=Q(status="approved")),
            models.Index(fields=["expire_at"], name="notice_due_expire_idx", condition=Q(status="published")),
            # Current notices (banner, list, feed) and the management list by status.
            models.Index(fields=["status", "-published_at"], name="notice_status_idx"),
            models.Index(fields=["owner_group", "status"], name="notice_group_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_end__gt=F("window_start")),
                name="notice_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(publish_at__isnull=True) | Q(expire_at__isnull=True) | Q(expire_at__gt=F("publish_at")),
                name="notice_expires_after_publish",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES


class NoticeAudienceRole(models.Model):
    """A role the notice is meant for (with its departments: either matches; neither listed means everyone)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="audience_role_rows")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        ordering = ["role"]
        verbose_name = _("audience role")
        verbose_name_plural = _("audience roles")
        constraints = [models.UniqueConstraint(fields=["notice", "role"], name="notice_audience_role_once")]

    def __str__(self) -> str:
        return self.role


class NoticeEvent(models.Model):
    """The append-only trail of a notice: every workflow step with who and when."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Drafted")
        EDITED = "edited", _("Edited")
        SUBMITTED = "submitted", _("Submitted for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned to the owner")
        REOPENED = "reopened", _("Back to draft after a change")
        PUBLISHED = "published", _("Published")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        INCIDENT_UPDATE = "incident_update", _("Updated from the major incident")
        DELIVERY_STARTED = "delivery_started", _("Email delivery started")
        RESENT = "resent", _("Failed emails sent again")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("notice event")
        verbose_name_plural = _("notice events")
        indexes = [models.Index(fields=["notice", "at", "id"], name="notice_event_notice_idx")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.kind}"


class NoticeDelivery(models.Model):
    """One email of one notice to one person: at most one row per pair, so a re-run or a second publish never
    sends twice; failed rows are what "resend" retries."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("email"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("notice delivery")
        verbose_name_plural = _("notice deliveries")
        constraints = [models.UniqueConstraint(fields=["notice", "recipient"], name="notice_delivery_once")]
        indexes = [models.Index(fields=["notice", "status"], name="notice_delivery_status_idx")]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.email} {self.status}"
