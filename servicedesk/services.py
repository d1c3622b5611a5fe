"""Writes to people and configuration. Each records an audit event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .errors import NotAllowed, ValidationFailed
from .models import AuditEvent, Category, CustomerTier, Department, Role, SupportGroup, User


def audit(actor: User | None, kind: str, obj: Any, data: dict[str, Any] | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        kind=kind,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
    )


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise NotAllowed(_("Only administrators can change the configuration."))


def role_groups(roles: Iterable[str]) -> list[Group]:
    groups = []
    for role in roles:
        group, _created = Group.objects.get_or_create(name=role)
        groups.append(group)
    return groups


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    email: str = "",
    phone: str = "",
    display_name: str = "",
    roles: Iterable[str] = (Role.END_USER,),
    customer_tier: str = CustomerTier.STANDARD,
    department: Department | None = None,
    language: str = "",
    validate: bool = True,
) -> User:
    """Provision a person (from HR systems, scripts, the demo data). `actor=None` means the system."""
    _require_admin(actor)
    roles = list(dict.fromkeys(roles or [Role.END_USER]))
    errors: dict[str, list[str]] = {}
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        errors["roles"] = [_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}]
    if customer_tier not in CustomerTier.values:
        errors["customer_tier"] = [_("Customer tier must be standard or vip.")]
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    user = User(
        username=username,
        email=email or "",
        phone=phone or "",
        display_name=display_name or "",
        customer_tier=customer_tier,
        department=department,
        language=language or "",
        is_staff=Role.ADMIN in roles,
    )
    if password and validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(errors)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationFailed({"username": [_("This username is taken.")]}) from exc
    user.groups.set(role_groups(roles))
    audit(actor, "user_created", user, {"roles": roles, "customer_tier": customer_tier})
    return user


@transaction.atomic
def user_set_roles(*, actor: User | None, user: User, roles: Iterable[str]) -> User:
    _require_admin(actor)
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationFailed({"roles": [_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}]})
    old = sorted(user.role_names)
    user.groups.set(role_groups(roles))
    user.__dict__.pop("role_names", None)
    audit(actor, "user_roles_changed", user, {"from": old, "to": sorted(roles)})
    return user


@transaction.atomic
def department_create(*, actor: User | None, name: str) -> Department:
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("A name is required.")]})
    if Department.objects.filter(name__iexact=name).exists():
        raise ValidationFailed({"name": [_("A department with this name exists.")]})
    department = Department.objects.create(name=name)
    audit(actor, "department_created", department, {"name": name})
    return department


@transaction.atomic
def support_group_create(
    *,
    actor: User | None,
    name: str,
    members: Iterable[User] = (),
    lead: User | None = None,
    is_field_team: bool = False,
) -> SupportGroup:
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("A name is required.")]})
    if SupportGroup.objects.filter(name__iexact=name).exists():
        raise ValidationFailed({"name": [_("A support group with this name exists.")]})
    group = SupportGroup.objects.create(name=name, lead=lead, is_field_team=is_field_team)
    members = list(members)
    if lead is not None and lead not in members:
        members.append(lead)
    group.members.set(members)
    audit(
        actor,
        "support_group_created",
        group,
        {"members": [m.pk for m in members], "lead": lead.pk if lead else None},
    )
    return group


@transaction.atomic
def category_create(
    *,
    actor: User | None,
    name: str,
    parent: Category | None = None,
    default_group: SupportGroup | None = None,
) -> Category:
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("A name is required.")]})
    if Category.objects.filter(parent=parent, name__iexact=name).exists():
        raise ValidationFailed({"name": [_("This category already exists here.")]})
    category = Category.objects.create(name=name, parent=parent, default_group=default_group)
    audit(
        actor,
        "category_created",
        category,
        {
            "name": name,
            "parent": parent.pk if parent else None,
            "default_group": default_group.pk if default_group else None,
        },
    )
    return category
