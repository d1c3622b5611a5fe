"""Races on the real PostgreSQL: each thread has its own connection and transaction, as two web workers would.

Where the services' row lock is what keeps two actors apart, the race window is widened on purpose (a pause after
the row is read), so that without the lock both would read the same state and the test would fail."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from servicedesk.errors import InvalidTransition
from tickets import services
from tickets.models import Ticket, TicketEvent

E = TicketEvent.Kind
pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(fn: Callable):
    """Run `fn` on this thread's own database connection and close it afterwards."""

    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    return run


def _race(*calls: Callable) -> list:
    """Start every call at the same moment on its own thread; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))

    @_in_thread
    def run(call):
        barrier.wait()
        try:
            return call()
        except Exception as exc:  # the loser's error is the result under test
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def slow_after_lock(monkeypatch):
    """Pause for a moment right after a service has (locked and) read the ticket."""
    original = services._check_version

    def slow(ticket, expected_version):
        time.sleep(0.3)
        return original(ticket, expected_version)

    monkeypatch.setattr(services, "_check_version", slow)


def test_fifty_tickets_filed_at_once_get_fifty_distinct_numbers(alice, bob):
    @_in_thread
    def file(i: int) -> str:
        data = services.TicketInput(type=("incident", "request")[i % 2], title=f"Report {i}", requester=bob)
        return services.ticket_create(actor=alice, data=data).number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(file, range(50)))

    assert len(set(numbers)) == 50
    assert sorted(numbers) == sorted(Ticket.objects.values_list("number", flat=True))
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert len(set(serials)) == 50


def test_of_two_members_accepting_at_once_exactly_one_wins(
    make_ticket, bob, alice, tom, tina, desktop, slow_after_lock
):
    ticket = services.ticket_assign(ticket=make_ticket(bob), actor=alice, group=desktop)

    results = _race(
        lambda: services.ticket_accept(ticket=ticket, actor=tom),
        lambda: services.ticket_accept(ticket=ticket, actor=tina),
    )

    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if not isinstance(r, Ticket)]
    assert len(winners) == 1, results
    assert len(losers) == 1 and isinstance(losers[0], InvalidTransition), results
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.assignee == winners[0].assignee
    accepted = ticket.events.filter(kind=E.STATUS_CHANGED, data__to="in_progress")
    assert accepted.count() == 1
    assert accepted.get().actor == ticket.assignee


def test_the_loser_of_an_accept_race_gets_a_409_over_http(make_ticket, bob, alice, tom, tina, desktop, slow_after_lock):
    from rest_framework.test import APIClient

    ticket = services.ticket_assign(ticket=make_ticket(bob), actor=alice, group=desktop)

    def accept(user):
        client = APIClient()
        client.force_authenticate(user)
        return lambda: client.post(f"/api/v1/tickets/{ticket.number}/accept/").status_code

    assert sorted(_race(accept(tom), accept(tina))) == [200, 409]
    assert ticket.events.filter(kind=E.STATUS_CHANGED, data__to="in_progress").count() == 1


def test_two_identical_assignments_at_once_record_one_assignment(
    make_ticket, bob, alice, sam, tom, desktop, slow_after_lock
):
    ticket = make_ticket(bob)

    results = _race(
        lambda: services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom),
        lambda: services.ticket_assign(ticket=ticket, actor=sam, group=desktop, assignee=tom),
    )

    assert all(isinstance(r, Ticket) for r in results), results
    ticket.refresh_from_db()
    assert (ticket.status, ticket.group, ticket.assignee) == (Ticket.Status.ASSIGNED, desktop, tom)
    assert ticket.events.filter(kind=E.ASSIGNED).count() == 1
    assert ticket.events.filter(kind=E.STATUS_CHANGED).count() == 1
    assert ticket.version == 2


def test_a_resolve_racing_a_pend_leaves_one_consistent_outcome(make_ticket, bob, alice, tom, desktop, slow_after_lock):
    ticket = services.ticket_assign(ticket=make_ticket(bob), actor=alice, group=desktop, assignee=tom)
    services.ticket_accept(ticket=ticket, actor=tom)
    ticket.refresh_from_db()
    seen = ticket.version

    # Both looked at version `seen`; whoever comes second is told the ticket changed under them.
    results = _race(
        lambda: services.ticket_resolve(ticket=ticket, actor=tom, resolution="Fixed", expected_version=seen),
        lambda: services.ticket_pend(ticket=ticket, actor=alice, reason="Need info", expected_version=seen),
    )

    assert sum(isinstance(r, Ticket) for r in results) == 1, results
    assert sum(isinstance(r, InvalidTransition) for r in results) == 1, results
    ticket.refresh_from_db()
    assert ticket.version == seen + 1
    assert ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.PENDING)
