"""Timeliness per team (used by the reports): on-time rate of planned maintenance, late notices, returned ones."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from notices import selectors, services


def test_on_time_rate_and_late_notices_per_team(approved, make_notice, alice, lena, nick, network, tom):
    now = timezone.now()
    soon = now + timedelta(hours=5)
    on_time = services.notice_publish(notice=approved(title="On time"), actor=alice)
    late = services.notice_publish(
        notice=approved(title="Late", window_start=soon, window_end=soon + timedelta(hours=1)), actor=alice
    )
    services.notice_publish(notice=approved(title="An outage is never late", type="outage"), actor=alice)
    returned = services.notice_submit(notice=make_notice(title="Unclear"), actor=tom)
    services.notice_reject(notice=returned, actor=lena, reason="Which building?")
    net = services.notice_create(
        actor=nick,
        data=services.NoticeInput(
            type="maintenance",
            title="Core switch",
            body="Reboot.",
            owner_group=network,
            window_start=now + timedelta(days=2),
            window_end=now + timedelta(days=2, hours=1),
        ),
    )
    services.notice_submit(notice=net, actor=nick)
    services.notice_approve(notice=net, actor=nick)  # nick leads Network
    services.notice_publish(notice=net, actor=nick)

    rows = {row.group_name: row for row in selectors.notice_timeliness()}
    desktop = rows["Desktop support"]
    assert (desktop.published, desktop.late, desktop.on_time, desktop.returned) == (2, 1, 1, 1)
    assert desktop.on_time_rate == 0.5
    assert (rows["Network"].published, rows["Network"].late, rows["Network"].on_time_rate) == (1, 0, 1.0)
    assert list(selectors.late_notices()) == [late]
    assert on_time not in selectors.late_notices(group=late.owner_group)

    # A period that ended before any of it: nothing.
    with time_machine.travel(now + timedelta(days=10), tick=False):
        assert selectors.notice_timeliness(start=timezone.now() - timedelta(days=1)) == []
    assert selectors.notice_timeliness(start=now - timedelta(days=1), end=now + timedelta(days=1))
