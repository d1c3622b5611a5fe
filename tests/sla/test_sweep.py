"""The sweep on real PostgreSQL: idempotent, shared safely by concurrent sweeps, and fired end to end by a
real Celery worker and beat on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from sla import services as sla
from sla.models import Clock, Escalation
from tickets.models import TicketEvent


@pytest.fixture
def one_minute_policy(db, sam):
    always = sla.calendar_create(
        actor=sam,
        name="Always open",
        working_hours=[{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
    )
    return sla.policy_create(
        actor=sam, name="Tight P4", calendar=always, priority=4, response_minutes=1, resolution_minutes=2
    )


def _overdue_tickets(make_ticket, requester, n: int) -> list:
    tickets = [make_ticket(requester, title=f"Overdue {i}") for i in range(n)]
    # Clocks started two minutes ago: both targets are already missed.
    past = timezone.now() - timedelta(minutes=3)
    for t in tickets:
        for clock in Clock.objects.filter(ticket=t):
            clock.running_since = past
            sla._schedule(clock, sla.business_calendar(clock.calendar))
            clock.save()
    return tickets


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_fire_each_breach_once(one_minute_policy, make_ticket, bob):
    tickets = _overdue_tickets(make_ticket, bob, 60)
    results: list[dict] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def sweep():
        try:
            barrier.wait()
            results.append(sla.sla_sweep(batch_size=7))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    # 60 tickets × 2 targets, each breached exactly once across the three sweeps.
    assert sum(r["breaches"] for r in results) == 120
    assert Escalation.objects.filter(level="breach").count() == 120
    assert TicketEvent.objects.filter(kind="sla_breached", ticket__in=tickets).count() == 120
    assert sla.sla_sweep()["breaches"] == 0  # and a re-run finds nothing left to do


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_real_worker_and_beat_on_redis_fire_a_breach(one_minute_policy, make_ticket, bob, tmp_path: Path):
    (ticket,) = _overdue_tickets(make_ticket, bob, 1)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SLA_SWEEP_SECONDS": "1",
        "DEBUG": "0",
        "EMAIL_URL": "consolemail://",
    }
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    cmd = [
        sys.executable, "-m", "celery", "-A", "servicedesk", "worker", "-B", "--pool=solo",
        "--loglevel=INFO", f"--schedule={tmp_path / 'beat'}", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if TicketEvent.objects.filter(ticket=ticket, kind="sla_breached").count() == 2:
                break
            time.sleep(0.5)
        assert TicketEvent.objects.filter(ticket=ticket, kind="sla_breached").count() == 2, (
            tmp_path / "worker.log"
        ).read_text()[-3000:]
        time.sleep(2.5)  # beat keeps sweeping: nothing is fired twice
        assert Escalation.objects.filter(clock__ticket=ticket).count() == 4  # warning + breach per target
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    assert Clock.objects.filter(ticket=ticket, state="breached").count() == 2
