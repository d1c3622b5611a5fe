"""Reminders: the morning digest (once per agent per day) and the sweep escalating overdue callbacks (once each),
run twice, run concurrently, and run by a real Celery worker on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from servicedesk.models import Notification
from tickets import followups
from tickets.models import FollowUp


@pytest.fixture
def agents_with_work(make_followups, cora, cody):
    """cora: one overdue, one due today; cody: one due today; one more due next week (nobody's digest)."""
    overdue, today, cody_today, later = make_followups(4)
    now = timezone.now()
    FollowUp.objects.filter(pk__in=[overdue.pk, today.pk]).update(assignee=cora)
    FollowUp.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(days=1))
    FollowUp.objects.filter(pk__in=[today.pk, cody_today.pk]).update(due_at=now + timedelta(seconds=30))
    FollowUp.objects.filter(pk=cody_today.pk).update(assignee=cody)
    FollowUp.objects.filter(pk=later.pk).update(assignee=cody, due_at=now + timedelta(days=7))
    return {"overdue": overdue, "today": today, "cody_today": cody_today, "later": later}


def _digests(day=None) -> list[Notification]:
    key = f"followup-digest:{(day or timezone.localdate()).isoformat()}"
    return list(Notification.objects.filter(key=key).select_related("recipient").order_by("recipient__username"))


def test_the_digest_tells_each_agent_once_a_day_however_often_it_runs(agents_with_work, mailoutbox):
    assert followups.followup_digest() == 2
    assert followups.followup_digest() == 2  # a re-run finds the day's digest already sent
    digests = _digests()
    assert [d.recipient.username for d in digests] == ["cody", "cora"]
    by_agent = {d.recipient.username: d for d in digests}
    assert by_agent["cora"].message == "Callbacks today: 1 due, 1 overdue"
    assert by_agent["cody"].message == "Callbacks today: 1 due, 0 overdue"
    assert by_agent["cora"].url == "/followups/"
    assert len(mailoutbox) == 2
    cora_mail = next(m for m in mailoutbox if m.to == ["cora@example.com"])
    assert agents_with_work["overdue"].ticket.number in cora_mail.body and "(overdue)" in cora_mail.body
    assert agents_with_work["later"].ticket.number not in "".join(m.body for m in mailoutbox)


def test_the_next_morning_brings_a_new_digest(agents_with_work):
    import time_machine

    followups.followup_digest()
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        followups.followup_digest()
        tomorrow = timezone.localdate()
    assert len(_digests()) == 2 and len(_digests(tomorrow)) == 2


def test_nobody_with_nothing_due_gets_a_digest(bob_followup, cora):
    FollowUp.objects.update(due_at=timezone.now() + timedelta(days=3))
    assert followups.followup_digest() == 0
    assert not Notification.objects.filter(verb="followup_digest").exists()


def test_the_sweep_escalates_each_overdue_callback_to_the_supervisors_once(
    agents_with_work, sam, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert followups.followup_sweep()["escalated"] == 1
        assert followups.followup_sweep()["escalated"] == 0
    overdue = agents_with_work["overdue"]
    (note,) = Notification.objects.filter(verb="followup_overdue")
    assert note.recipient == sam and note.key == f"followup-overdue:{overdue.pk}"
    assert overdue.ticket.number in note.message
    assert FollowUp.objects.get(pk=overdue.pk).escalated_at is not None


def test_a_done_callback_is_not_escalated(bob_followup, cora, sam):
    FollowUp.objects.update(due_at=timezone.now() - timedelta(days=1))
    followups.followup_record(followup=bob_followup, actor=cora, reached=True, satisfaction=5, fix_confirmed=True)
    assert followups.followup_sweep()["escalated"] == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_escalate_each_callback_once(make_followups, cora, sam):
    rows = make_followups(30)
    FollowUp.objects.filter(pk__in=[f.pk for f in rows]).update(due_at=timezone.now() - timedelta(hours=1))
    results: list[dict] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def sweep():
        try:
            barrier.wait()
            results.append(followups.followup_sweep(batch_size=4))
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
    assert sum(r["escalated"] for r in results) == 30
    # Notifications go out after each batch commits (eager Celery here): one per callback for sam.
    assert Notification.objects.filter(verb="followup_overdue", recipient=sam).count() == 30


def test_beat_runs_the_sweep_and_the_morning_digest_next_to_the_sla_sweep():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["sla-sweep"]["task"] == "sla.tasks.sla_sweep_task"
    assert schedule["followup-sweep"]["task"] == "tickets.tasks.followup_sweep_task"
    assert schedule["followup-digest"]["task"] == "tickets.tasks.followup_digest_task"
    assert schedule["followup-digest"]["schedule"].hour == {8}


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_real_worker_on_redis_sends_each_digest_once(agents_with_work, tmp_path: Path):
    from servicedesk.celery import app
    from tickets.tasks import followup_digest_task

    # A queue of our own: another test run sharing this Redis must not pick up our tasks (or we theirs).
    queue = f"followup-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
        "EMAIL_URL": "consolemail://",
    }
    cmd = [
        sys.executable, "-m", "celery", "-A", "servicedesk", "worker", "--pool=solo", "--loglevel=INFO",
        "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    saved = {"task_always_eager": app.conf.task_always_eager, "task_default_queue": app.conf.task_default_queue}
    # .delay() now goes through Redis to the worker instead of running here.
    app.conf.update(task_always_eager=False, task_default_queue=queue)
    try:
        followup_digest_task.delay()
        followup_digest_task.delay()  # the reminder run twice

        def finished() -> int:
            text = (tmp_path / "worker.log").read_text()
            return sum(1 for line in text.splitlines() if "followup_digest_task[" in line and "succeeded" in line)

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and finished() < 2:
            time.sleep(0.5)
        worker_log = (tmp_path / "worker.log").read_text()
        assert finished() == 2, worker_log[-3000:]
        digests = _digests()
        assert [d.recipient.username for d in digests] == ["cody", "cora"], worker_log[-3000:]
        assert all(d.emailed_at is not None for d in digests)
    finally:
        app.conf.update(saved)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
