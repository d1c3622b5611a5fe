"""Service levels: business calendars, policies, and one clock per ticket and target.

Deadlines live in indexed columns (`next_check_at`); a beat sweep finds what is due, and every warning and
breach is recorded under a unique constraint, so a re-run or a crashed worker never loses or doubles one."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.models import CustomerTier


class Calendar(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    is_default = models.BooleanField(
        _("desk default"), default=False, help_text=_("Used for follow-up due dates and tickets without a policy.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="calendar_one_default")
        ]

    def __str__(self) -> str:
        return self.name


class WorkingInterval(models.Model):
    """Working time on a weekday, as wall-clock minutes in the calendar's zone (end 1440 = 24:00)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    start_minute = models.PositiveSmallIntegerField(_("start (minutes after midnight)"))
    end_minute = models.PositiveSmallIntegerField(_("end (minutes after midnight)"))

    class Meta:
        ordering = ["weekday", "start_minute"]
        verbose_name = _("working interval")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(start_minute__lt=models.F("end_minute"), end_minute__lte=1440, weekday__lte=6),
                name="interval_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {fmt_minute(self.start_minute)}–{fmt_minute(self.end_minute)}"


def fmt_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ExtraWorkday(models.Model):
    """A make-up working day (调休) on a weekend; it has the working hours of a normal Monday."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="extra_workdays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("make-up working day")
        verbose_name_plural = _("make-up working days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="extra_workday_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Policy(models.Model):
    """Targets for tickets of a priority (and optionally a customer tier, type, category), on a calendar."""

    name = models.CharField(_("name"), max_length=120)
    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="policies"
    )
    customer_tier = models.CharField(
        _("customer tier"),
        max_length=16,
        choices=CustomerTier.choices,
        null=True,
        blank=True,
        help_text=_("Empty: any tier. A policy naming the tier beats one for any tier."),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=[(1, "P1"), (2, "P2"), (3, "P3"), (4, "P4")])
    ticket_type = models.CharField(_("ticket type"), max_length=16, blank=True, default="")
    category = models.ForeignKey(
        "servicedesk.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    response_minutes = models.PositiveIntegerField(_("response target (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (business minutes)"))
    warning_percent = models.PositiveSmallIntegerField(_("warn at this percentage of the target"), default=75)
    is_active = models.BooleanField(_("active"), default=True)
    # Escalation rules applied once when a target of a ticket under this policy is breached.
    breach_raise_priority = models.BooleanField(_("raise priority one level at breach"), default=False)
    breach_escalate_to = models.ForeignKey(
        "servicedesk.SupportGroup",
        verbose_name=_("reassign to group at breach"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["priority", "customer_tier", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1, warning_percent__lte=100), name="policy_warning_pct"
            ),
            models.CheckConstraint(
                condition=Q(response_minutes__gt=0, resolution_minutes__gt=0), name="policy_targets_pos"
            ),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=4), name="policy_priority_range"),
        ]
        indexes = [models.Index(fields=["priority", "is_active"], name="policy_match_idx")]

    def __str__(self) -> str:
        return self.name


class Clock(models.Model):
    """One SLA target of a ticket. Business time is accumulated in `elapsed_seconds` up to `running_since`
    (null while paused or stopped); `due_at`/`warn_at` are wall-clock instants recomputed whenever the clock
    starts, pauses, resumes or is re-targeted."""

    class Metric(models.TextChoices):
        RESPONSE = "response", _("Response")
        RESOLUTION = "resolution", _("Resolution")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        WARNING = "warning", _("Warning")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(_("target"), max_length=16, choices=Metric.choices)
    policy = models.ForeignKey(Policy, null=True, on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="+")
    target_seconds = models.PositiveIntegerField()
    warning_percent = models.PositiveSmallIntegerField(default=75)
    elapsed_seconds = models.IntegerField(default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RUNNING)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    # The next instant the sweep must look at this clock (warning or breach); null when nothing is pending.
    next_check_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # The ticket was cancelled: the clock stopped without a verdict and counts in no report.
    void = models.BooleanField(default=False)

    class Meta:
        ordering = ["ticket_id", "metric"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [models.UniqueConstraint(fields=["ticket", "metric"], name="clock_one_per_target")]
        indexes = [
            models.Index(fields=["next_check_at"], name="clock_due_idx", condition=Q(next_check_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.state}"


class Escalation(models.Model):
    """A warning or breach that happened, once per clock and level (the sweep's idempotency key)."""

    class Level(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="escalations")
    level = models.CharField(max_length=16, choices=Level.choices)
    at = models.DateTimeField()
    # When the policy's breach rules were applied: claimed with a conditional update, so a redelivered task
    # never raises a priority twice.
    rules_applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [models.UniqueConstraint(fields=["clock", "level"], name="escalation_once")]

    def __str__(self) -> str:
        return f"{self.clock_id} {self.level}"
