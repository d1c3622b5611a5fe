# ruff: noqa: F811 - the shared fixtures are imported from tests/tickets/workorder_helpers.py
"""Two devices of the same technician sending the same step at once, on the real PostgreSQL: each thread has its
own connection. The race window is widened on purpose (a pause after the order row is locked and read): without
the lock both would read the same state, and the step would be recorded twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from servicedesk.errors import InvalidTransition
from tests.tickets.workorder_helpers import field_ticket, k, make_order, order, walk_to  # noqa: F401 (fixtures)
from tickets import workorders as wo
from tickets.models import TicketEvent, WorkOrder, WorkOrderStep

pytestmark = pytest.mark.django_db(transaction=True)
W = WorkOrder.State


def _race(*calls: Callable) -> list:
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            try:
                return call()
            except Exception as exc:  # the loser's error is the result under test
                return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def slow_after_lock(monkeypatch):
    original = wo._lock

    def slow(order):
        locked = original(order)
        time.sleep(0.3)
        return locked

    monkeypatch.setattr(wo, "_lock", slow)


def _arrivals(order) -> tuple[int, int]:
    steps = WorkOrderStep.objects.filter(work_order=order, action="arrive").count()
    events = sum(
        1
        for e in TicketEvent.objects.filter(ticket=order.ticket, kind=TicketEvent.Kind.WORK_ORDER)
        if e.data.get("action") == "arrive"
    )
    return steps, events


def test_the_same_key_from_two_devices_is_recorded_once(order, tom, slow_after_lock):
    order = walk_to(order, W.EN_ROUTE, tom)
    key = k()
    results = _race(
        lambda: wo.workorder_arrive(order=order, actor=tom, key=key),
        lambda: wo.workorder_arrive(order=order, actor=tom, key=key),
    )
    assert all(isinstance(r, WorkOrder) and r.state == W.ON_SITE for r in results), results
    assert _arrivals(order) == (1, 1)


def test_the_same_step_with_two_keys_is_recorded_once_and_the_loser_gets_409(order, tom, slow_after_lock):
    order = walk_to(order, W.EN_ROUTE, tom)
    results = _race(
        lambda: wo.workorder_arrive(order=order, actor=tom, key=k()),
        lambda: wo.workorder_arrive(order=order, actor=tom, key=k()),
    )
    assert sorted(type(r).__name__ for r in results) == ["InvalidTransition", "WorkOrder"], results
    assert any(isinstance(r, InvalidTransition) for r in results)
    assert _arrivals(order) == (1, 1)
