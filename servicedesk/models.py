"""People and configuration shared by every app: users and their roles, departments, customer tiers,
support groups, the service catalogue (categories), in-app notifications and the generic audit log."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles are Django auth groups with these names, so the admin can grant them like any permission."""

    END_USER = "end_user", _("End user")
    AGENT = "agent", _("Desk agent")
    CALLBACK_AGENT = "callback_agent", _("Callback agent")
    TECHNICIAN = "technician", _("Technician")
    INCIDENT_MANAGER = "incident_manager", _("Major-incident manager")
    QUALITY_ANALYST = "quality_analyst", _("Quality analyst")
    SUPERVISOR = "supervisor", _("Desk supervisor")
    ADMIN = "admin", _("Administrator")


# The desk roles see and act on every ticket.
DESK_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
STAFF_ROLES = (
    Role.AGENT,
    Role.CALLBACK_AGENT,
    Role.TECHNICIAN,
    Role.INCIDENT_MANAGER,
    Role.QUALITY_ANALYST,
    Role.SUPERVISOR,
    Role.ADMIN,
)


class CustomerTier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    VIP = "vip", _("VIP")


class Department(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    customer_tier = models.CharField(
        _("customer tier"), max_length=16, choices=CustomerTier.choices, default=CustomerTier.STANDARD
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["email"], name="user_email_idx")]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def name(self) -> str:
        return str(self)

    @property
    def is_vip(self) -> bool:
        return self.customer_tier == CustomerTier.VIP

    @cached_property
    def role_names(self) -> frozenset[str]:
        """Role codes of this user; superusers hold every role. Uses prefetched groups when present."""
        if not self.pk:
            return frozenset()
        if self.is_superuser:
            return frozenset(Role.values)
        return frozenset(g.name for g in self.groups.all() if g.name in Role.values)

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    @property
    def is_desk(self) -> bool:
        return self.has_role(*DESK_ROLES)

    @property
    def is_staff_member(self) -> bool:
        return self.has_role(*STAFF_ROLES)


class SupportGroup(models.Model):
    """A team that works tickets: members, a lead (the responsible person), active or not."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="support_groups", blank=True
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_groups",
    )
    is_field_team = models.BooleanField(_("field team"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A node of the service catalogue; tickets filed under it go to its (or its parent's) default group."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_group = models.ForeignKey(
        SupportGroup,
        verbose_name=_("default group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="categories",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_per_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="category_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name

    def routing_group(self) -> SupportGroup | None:
        """The default group of this category or of its nearest ancestor that has one."""
        node: Category | None = self
        seen: set[int] = set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            if node.default_group_id:
                return node.default_group
            node = node.parent
        return None


class AuditEvent(models.Model):
    """Append-only record of a configuration change (tickets keep their own richer trail)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}:{self.object_id}"


class Notification(models.Model):
    """An in-app notification. `key` makes delivery idempotent: a re-run task never notifies twice."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=120)
    verb = models.CharField(_("what happened"), max_length=64)
    message = models.CharField(_("message"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once")]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.message
