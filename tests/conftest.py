"""Shared fixtures: named personas built through services, API clients, and the real PostgreSQL + Redis.

alice — desk agent · bob, carol — requesters · vera — VIP requester · tom, tina — technicians in
"Desktop support" (lead: lena) · nick — network technician · sam — supervisor · ada — administrator
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from servicedesk import services as people
from servicedesk.models import Role
from tickets import services
from tickets.models import Ticket

PASSWORD = "correct-horse-battery-9"


def _clear_cache() -> None:
    """Delete this run's keys only (FLUSHDB would wipe a concurrent run's throttles too)."""
    from django.conf import settings

    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    client = cache._cache.get_client(write=True) if hasattr(cache, "_cache") else None
    if not prefix or client is None:
        cache.clear()
        return
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _real_backends(request):
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        # Tests run on PostgreSQL and Redis, never SQLite (which ignores row locks) or in-memory stand-ins.
        assert connection.vendor == "postgresql", "The test suite runs on PostgreSQL: set DATABASE_URL."
    _clear_cache()  # Redis: throttles and login counters start empty in every test
    yield


def make_user(username: str, *roles: str, **extra):
    return people.user_create(
        actor=None,
        username=username,
        password=PASSWORD,
        email=extra.pop("email", f"{username}@example.com"),
        display_name=extra.pop("display_name", username.capitalize()),
        roles=roles or (Role.END_USER,),
        validate=False,
        **extra,
    )


@pytest.fixture
def dept(db):
    return people.department_create(actor=None, name="Finance")


@pytest.fixture
def alice(db):
    return make_user("alice", Role.AGENT, display_name="Alice Agent")


@pytest.fixture
def bob(db, dept):
    return make_user("bob", Role.END_USER, phone="+86 138 0000 0001", department=dept, display_name="Bob 王")


@pytest.fixture
def carol(db):
    return make_user("carol", Role.END_USER, phone="13900000002", display_name="Carol Chen")


@pytest.fixture
def vera(db):
    return make_user("vera", Role.END_USER, customer_tier="vip", display_name="Vera VIP")


@pytest.fixture
def lena(db):
    return make_user("lena", Role.TECHNICIAN, display_name="Lena Lead")


@pytest.fixture
def tom(db):
    return make_user("tom", Role.TECHNICIAN, display_name="Tom Tech")


@pytest.fixture
def tina(db):
    return make_user("tina", Role.TECHNICIAN, display_name="Tina Tech")


@pytest.fixture
def nick(db):
    return make_user("nick", Role.TECHNICIAN, display_name="Nick Network")


@pytest.fixture
def sam(db):
    return make_user("sam", Role.SUPERVISOR, display_name="Sam Supervisor")


@pytest.fixture
def ada(db):
    return make_user("ada", Role.ADMIN, display_name="Ada Admin")


@pytest.fixture
def desktop(db, tom, tina, lena):
    return people.support_group_create(actor=None, name="Desktop support", members=[tom, tina], lead=lena)


@pytest.fixture
def network(db, nick):
    return people.support_group_create(actor=None, name="Network", members=[nick], lead=nick)


@pytest.fixture
def hardware(db, desktop):
    return people.category_create(actor=None, name="Hardware", default_group=desktop)


@pytest.fixture
def make_ticket(db, alice):
    def _make(requester, actor=None, **fields) -> Ticket:
        data = {"type": "incident", "title": "Printer jams", "channel": "phone", "impact": 3, "urgency": 3}
        data.update(fields)
        return services.ticket_create(actor=actor or alice, data=services.TicketInput(requester=requester, **data))

    return _make


@pytest.fixture
def bob_ticket(make_ticket, bob):
    return make_ticket(bob, title="Bob's laptop will not boot")


@pytest.fixture
def carol_ticket(make_ticket, carol):
    return make_ticket(carol, title="Carol cannot print")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(api):
    """`as_user(alice)` returns the API client authenticated as alice."""

    def _as(user):
        api.force_authenticate(user)
        return api

    return _as
