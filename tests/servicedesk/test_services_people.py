"""People and configuration services: only administrators (or the system) change them, and each change leaves
an audit event."""

from __future__ import annotations

import pytest

from servicedesk import services as people
from servicedesk.errors import NotAllowed, ValidationFailed
from servicedesk.models import AuditEvent, Category, Department, Role, SupportGroup, User


@pytest.mark.parametrize("persona", ["alice", "sam", "tom", "bob"])
def test_only_administrators_change_the_configuration(request, persona, desktop):
    actor = request.getfixturevalue(persona)
    before = (User.objects.count(), Department.objects.count(), SupportGroup.objects.count(), Category.objects.count())

    for attempt in (
        lambda: people.user_create(actor=actor, username="x", password=None),
        lambda: people.department_create(actor=actor, name="Legal"),
        lambda: people.support_group_create(actor=actor, name="Shadow"),
        lambda: people.category_create(actor=actor, name="Shadow"),
        lambda: people.user_set_roles(actor=actor, user=actor, roles=[Role.ADMIN]),
    ):
        with pytest.raises(NotAllowed):
            attempt()

    after = (User.objects.count(), Department.objects.count(), SupportGroup.objects.count(), Category.objects.count())
    assert after == before
    assert not actor.__class__.objects.get(pk=actor.pk).has_role(Role.ADMIN)


def test_each_change_is_audited_with_its_actor(ada, tom):
    department = people.department_create(actor=ada, name="Legal")
    group = people.support_group_create(actor=ada, name="Legal IT", members=[tom])
    category = people.category_create(actor=ada, name="Contracts", default_group=group)
    user = people.user_create(actor=ada, username="lee", password=None, roles=[Role.AGENT], department=department)
    people.user_set_roles(actor=ada, user=user, roles=[Role.SUPERVISOR])

    trail = list(AuditEvent.objects.filter(actor=ada).values_list("kind", "object_id", "data"))

    assert trail == [
        ("department_created", str(department.pk), {"name": "Legal"}),
        ("support_group_created", str(group.pk), {"members": [tom.pk], "lead": None}),
        ("category_created", str(category.pk), {"name": "Contracts", "parent": None, "default_group": group.pk}),
        ("user_created", str(user.pk), {"roles": ["agent"], "customer_tier": "standard"}),
        ("user_roles_changed", str(user.pk), {"from": ["agent"], "to": ["supervisor"]}),
    ]


def test_changing_roles_takes_effect_at_once(ada, tom):
    people.user_set_roles(actor=ada, user=tom, roles=[Role.TECHNICIAN, Role.AGENT])

    assert tom.has_role(Role.AGENT)
    assert User.objects.get(pk=tom.pk).role_names == {"technician", "agent"}


def test_unknown_roles_are_refused(ada, tom):
    with pytest.raises(ValidationFailed) as exc:
        people.user_set_roles(actor=ada, user=tom, roles=["wizard"])

    assert set(exc.value.errors) == {"roles"}
    assert tom.role_names == {"technician"}


def test_an_administrator_is_staff_for_the_django_admin(ada, alice):
    assert ada.is_staff is True
    assert alice.is_staff is False


def test_a_user_without_a_password_cannot_log_in(db):
    user = people.user_create(actor=None, username="imported", password=None)

    assert not user.has_usable_password()


def test_superusers_hold_every_role(db):
    root = User.objects.create_superuser("root", "root@example.com", "x")

    assert root.role_names == set(Role.values)
    assert root.is_desk


def test_routing_follows_the_nearest_ancestor_with_a_group(desktop, network):
    hardware = people.category_create(actor=None, name="Hardware", default_group=desktop)
    printers = people.category_create(actor=None, name="Printers", parent=hardware)
    routers = people.category_create(actor=None, name="Routers", parent=hardware, default_group=network)
    laser = people.category_create(actor=None, name="Laser", parent=printers)
    loose = people.category_create(actor=None, name="Other")

    assert laser.routing_group() == desktop
    assert routers.routing_group() == network
    assert loose.routing_group() is None
    assert str(laser) == "Hardware / Printers / Laser"
