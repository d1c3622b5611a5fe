# ruff: noqa: F811 - the shared fixtures are imported from tests/tickets/workorder_helpers.py
"""Customer sign-off: the drawn signature (PNG only, ≤ 1 MB, not empty, stored privately) and the emailed
one-time code (hashed, expiring, 5 tries)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from servicedesk.errors import ValidationFailed
from tests.tickets.workorder_helpers import (  # noqa: F401 (fixtures)
    field_ticket,
    k,
    make_order,
    order,
    png_bytes,
    png_data_url,
    walk_to,
)
from tickets import workorders as wo
from tickets.models import WorkOrder, WorkOrderStep

W = WorkOrder.State


@pytest.fixture
def repaired(order, tom):
    return walk_to(order, W.REPAIRED_ONSITE, tom)


def test_signature_is_stored_outside_the_web_root_with_the_signer(repaired, tom):
    order = wo.workorder_complete(order=repaired, actor=tom, key=k(), signer_name="Bob Wang", signature=png_data_url())
    order.refresh_from_db()
    assert order.state == W.COMPLETED and order.signoff_method == "signature" and order.signer_name == "Bob Wang"
    path = order.signature.path
    assert not path.startswith(str(settings.STATIC_ROOT)) and path.endswith(".png")
    with order.signature.open("rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "data:image/png;base64,",
        "data:image/jpeg;base64," + png_data_url().split(",", 1)[1],
        "data:image/png;base64," + "R0lGODlhAQABAAAAACw=",  # a GIF
        "data:image/png;base64,PHN2Zz48L3N2Zz4=",  # <svg></svg>
        "data:image/png;base64,@@@not-base64@@@",
    ],
)
def test_a_signature_that_is_not_a_png_or_empty_is_refused(repaired, tom, signature):
    with pytest.raises(ValidationFailed) as exc:
        wo.workorder_complete(order=repaired, actor=tom, key=k(), signer_name="Bob", signature=signature)
    assert exc.value.status_code == 400 and "signature" in exc.value.errors
    repaired.refresh_from_db()
    assert repaired.state == W.REPAIRED_ONSITE


def test_a_signature_over_1_mb_is_refused(repaired, tom):
    big = png_bytes() + b"\x00" * (1024 * 1024)
    with pytest.raises(ValidationFailed) as exc:
        wo.workorder_complete(order=repaired, actor=tom, key=k(), signer_name="Bob", signature=png_data_url(big))
    assert "too large" in exc.value.errors["signature"][0]


def test_the_signer_name_is_required(repaired, tom):
    with pytest.raises(ValidationFailed) as exc:
        wo.workorder_complete(order=repaired, actor=tom, key=k(), signer_name=" ", signature=png_data_url())
    assert "signer_name" in exc.value.errors


def test_a_resent_completion_does_not_store_a_second_signature(repaired, tom):
    key = k()
    first = wo.workorder_complete(order=repaired, actor=tom, key=key, signer_name="Bob", signature=png_data_url())
    again = wo.workorder_complete(order=repaired, actor=tom, key=key, signer_name="Bob", signature=png_data_url())
    assert again.signature.name == first.signature.name
    assert WorkOrderStep.objects.filter(action="complete").count() == 1


def _send_code(order, tom, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        wo.workorder_send_code(order=order, actor=tom, key=k())
    return re.search(r" is (\d{6})\.", mail.outbox[-1].body).group(1)


def test_code_signoff_right_code(repaired, tom, bob, django_capture_on_commit_callbacks):
    code = _send_code(repaired, tom, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == [bob.email]
    repaired.refresh_from_db()
    assert code not in repaired.code_hash  # only a keyed hash is kept
    order = wo.workorder_complete(order=repaired, actor=tom, key=k(), code=code)
    assert order.state == W.COMPLETED and order.signoff_method == "code" and order.code_hash == ""


def test_code_signoff_wrong_code_counts_a_try(repaired, tom, django_capture_on_commit_callbacks):
    code = _send_code(repaired, tom, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    key = k()
    with pytest.raises(ValidationFailed):
        wo.workorder_complete(order=repaired, actor=tom, key=key, code=wrong)
    repaired.refresh_from_db()
    assert repaired.code_attempts == 1 and repaired.state == W.REPAIRED_ONSITE
    # The failed try did not use up the key: the same form sent again with the right code completes.
    assert wo.workorder_complete(order=repaired, actor=tom, key=key, code=code).state == W.COMPLETED


def test_code_signoff_expired(repaired, tom, django_capture_on_commit_callbacks):
    code = _send_code(repaired, tom, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)), pytest.raises(ValidationFailed) as exc:
        wo.workorder_complete(order=repaired, actor=tom, key=k(), code=code)
    assert "expired" in exc.value.message


def test_code_signoff_too_many_tries(repaired, tom, django_capture_on_commit_callbacks):
    code = _send_code(repaired, tom, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            wo.workorder_complete(order=repaired, actor=tom, key=k(), code=wrong)
    with pytest.raises(ValidationFailed) as exc:
        wo.workorder_complete(order=repaired, actor=tom, key=k(), code=code)
    assert "Too many" in exc.value.message
    # A new code starts over.
    code = _send_code(repaired, tom, django_capture_on_commit_callbacks)
    assert wo.workorder_complete(order=repaired, actor=tom, key=k(), code=code).state == W.COMPLETED


def test_no_code_sent_yet(repaired, tom):
    with pytest.raises(ValidationFailed):
        wo.workorder_complete(order=repaired, actor=tom, key=k(), code="123456")
