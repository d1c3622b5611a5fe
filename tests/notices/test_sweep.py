"""The beat sweep publishes approved notices when their publish-at comes and expires them at expire-at: with
time travel, idempotent, sharing rows with a concurrent publisher, and once with a real Celery worker and beat."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notices import selectors, services
from notices.models import Notice, NoticeDelivery, NoticeEvent

S = Notice.Status


def test_an_approved_notice_goes_out_when_its_time_comes(approved, bob, django_capture_on_commit_callbacks):
    start = timezone.now()
    notice = approved(publish_at=start + timedelta(hours=2), expire_at=start + timedelta(days=5))
    assert services.notice_sweep(now=start) == {"published": 0, "expired": 0, "returned_to_draft": 0}
    assert selectors.banner_for(bob) == []

    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.notice_sweep()["published"] == 1
        notice.refresh_from_db()
        assert notice.status == S.PUBLISHED and notice.publisher is None and notice.published_on_behalf is False
        assert notice.published_at == start + timedelta(hours=2, minutes=1)
        assert NoticeEvent.objects.get(notice=notice, kind="published").data["scheduled"] is True
        assert NoticeDelivery.objects.filter(notice=notice, status="sent").exists()
        assert [n["id"] for n in selectors.banner_for(bob)] == [notice.pk]
        # A second run (or a second beat) finds nothing left to do.
        assert services.notice_sweep() == {"published": 0, "expired": 0, "returned_to_draft": 0}
    assert NoticeEvent.objects.filter(notice=notice, kind="published").count() == 1


def test_a_published_notice_expires_at_its_time_and_leaves_the_banner(
    approved, alice, bob, django_capture_on_commit_callbacks
):
    start = timezone.now()
    notice = services.notice_publish(notice=approved(expire_at=start + timedelta(days=1)), actor=alice)
    assert [n["id"] for n in selectors.banner_for(bob)] == [notice.pk]
    with time_machine.travel(start + timedelta(days=1, seconds=1), tick=False):
        # Past its expiry it is gone from the banner at once, before the sweep has even run.
        assert selectors.banner_for(bob) == []
        assert not selectors.notices_current_for(bob).exists()
        with django_capture_on_commit_callbacks(execute=True):
            assert services.notice_sweep()["expired"] == 1
        notice.refresh_from_db()
        assert notice.status == S.EXPIRED and notice.ended_at is not None
        assert services.notice_sweep()["expired"] == 0
    assert NoticeEvent.objects.filter(notice=notice, kind="expired").count() == 1


def test_an_approved_notice_whose_expiry_passed_first_is_expired_not_published(approved):
    start = timezone.now()
    notice = approved(publish_at=start + timedelta(hours=1), expire_at=start + timedelta(hours=2))
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert services.notice_sweep() == {"published": 0, "expired": 1, "returned_to_draft": 0}
    notice.refresh_from_db()
    assert notice.status == S.EXPIRED and notice.published_at is None
    assert not notice.deliveries.exists()


def test_the_sweep_does_not_publish_content_changed_after_approval(approved):
    start = timezone.now()
    notice = approved(publish_at=start + timedelta(minutes=30))
    Notice.objects.filter(pk=notice.pk).update(title="Changed behind the reviewer's back")
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert services.notice_sweep()["returned_to_draft"] == 1
    notice.refresh_from_db()
    assert notice.status == S.DRAFT and notice.published_at is None


def test_the_sweep_works_in_batches(approved):
    start = timezone.now()
    notices = [approved(title=f"Notice {i}", publish_at=start + timedelta(minutes=i)) for i in range(5)]
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert services.notice_sweep(batch_size=2)["published"] == 5
    assert Notice.objects.filter(pk__in=[n.pk for n in notices], status=S.PUBLISHED).count() == 5


def test_a_scheduled_maintenance_notice_that_goes_out_too_late_is_flagged(approved):
    start = timezone.now()
    window = start + timedelta(hours=30)
    notice = approved(
        window_start=window, window_end=window + timedelta(hours=2), publish_at=start + timedelta(hours=8)
    )
    with time_machine.travel(start + timedelta(hours=8, minutes=1), tick=False):
        services.notice_sweep()
    notice.refresh_from_db()
    assert notice.status == S.PUBLISHED and notice.is_late is True  # 22 h ahead < 24 h


@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_a_notice_someone_is_publishing_right_now(desktop, tom, lena, alice):
    notice = services.notice_create(
        actor=tom,
        data=services.NoticeInput(
            type="general",
            title="Printers move",
            body="To floor 3.",
            owner_group=desktop,
            publish_at=timezone.now() - timedelta(minutes=1),
        ),
    )
    services.notice_submit(notice=notice, actor=tom)
    services.notice_approve(notice=notice, actor=lena)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        with transaction.atomic():
            Notice.objects.select_for_update().get(pk=notice.pk)
            locked.set()
            release.wait(timeout=20)
        connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        assert services.notice_sweep()["published"] == 0  # SKIP LOCKED: no waiting on the other transaction
        assert time.monotonic() - started < 5
    finally:
        release.set()
        holder.join(timeout=20)
    assert services.notice_sweep()["published"] == 1
    notice.refresh_from_db()
    assert notice.status == S.PUBLISHED


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_publish_expire_and_email_a_notice(desktop, tom, lena, bob, carol, tmp_path: Path):
    now = timezone.now()
    notice = services.notice_create(
        actor=tom,
        data=services.NoticeInput(
            type="outage",
            title="Wi-Fi outage in building B",
            body="Use the wired ports meanwhile.",
            owner_group=desktop,
            publish_at=now + timedelta(seconds=2),
            expire_at=now + timedelta(seconds=12),
        ),
    )
    services.notice_submit(notice=notice, actor=tom)
    services.notice_approve(notice=notice, actor=lena)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "NOTICE_SWEEP_SECONDS": "1",
        "SLA_SWEEP_SECONDS": "3600",
        "FOLLOWUP_SWEEP_SECONDS": "3600",
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

    def wait_for(condition, seconds: float = 60) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.5)
        return False

    try:
        published = wait_for(lambda: Notice.objects.filter(pk=notice.pk, status=S.PUBLISHED).exists())
        assert published, (tmp_path / "worker.log").read_text()[-3000:]
        sent = wait_for(lambda: NoticeDelivery.objects.filter(notice=notice, status="sent").count() >= 5)
        assert sent, (tmp_path / "worker.log").read_text()[-3000:]
        expired = wait_for(lambda: Notice.objects.filter(pk=notice.pk, status=S.EXPIRED).exists())
        assert expired, (tmp_path / "worker.log").read_text()[-3000:]
        time.sleep(2.5)  # beat keeps sweeping: nothing happens twice
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    assert NoticeEvent.objects.filter(notice=notice, kind="published").count() == 1
    assert NoticeEvent.objects.filter(notice=notice, kind="expired").count() == 1
    deliveries = NoticeDelivery.objects.filter(notice=notice)
    assert deliveries.count() == deliveries.values("recipient").distinct().count()
    assert not deliveries.exclude(status="sent").exists()
