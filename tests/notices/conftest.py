"""Notice fixtures. The desktop team (tom, tina; lead lena) owns the notices; alice is the desk that publishes on
its behalf; bob (Finance) and carol (no department) read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notices import services
from notices.models import Notice


@pytest.fixture
def make_notice(desktop, tom):
    def _make(actor=None, **fields) -> Notice:
        now = timezone.now()
        data = {
            "type": "maintenance",
            "title": "Mail server upgrade",
            "body": "The **mail server** is upgraded. Webmail is unavailable.",
            "owner_group": desktop,
            "window_start": now + timedelta(days=3),
            "window_end": now + timedelta(days=3, hours=2),
        }
        data.update(fields)
        return services.notice_create(actor=actor or tom, data=services.NoticeInput(**data))

    return _make


@pytest.fixture
def submitted(make_notice, tom):
    def _make(**fields) -> Notice:
        return services.notice_submit(notice=make_notice(**fields), actor=tom)

    return _make


@pytest.fixture
def approved(submitted, lena):
    def _make(**fields) -> Notice:
        return services.notice_approve(notice=submitted(**fields), actor=lena)

    return _make


@pytest.fixture
def published(approved, alice):
    def _make(**fields) -> Notice:
        return services.notice_publish(notice=approved(**fields), actor=alice)

    return _make
