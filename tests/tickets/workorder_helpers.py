"""Shared builders for the work-order tests: an order for Bob's ticket, dispatched by Alice to Tom, and a walk
of the state machine to any state through the services."""

from __future__ import annotations

import base64
import io
import struct
import uuid
import zlib
from datetime import timedelta

import pytest
from django.utils import timezone

from tickets import services
from tickets import workorders as wo
from tickets.models import WorkOrder

W = WorkOrder.State


def k() -> str:
    return str(uuid.uuid4())


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A real, tiny PNG (no image library needed)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    buf = io.BytesIO()
    buf.write(b"\x89PNG\r\n\x1a\n")
    buf.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
    buf.write(chunk(b"IDAT", zlib.compress(raw)))
    buf.write(chunk(b"IEND", b""))
    return buf.getvalue()


def png_data_url(data: bytes | None = None) -> str:
    return "data:image/png;base64," + base64.b64encode(data if data is not None else png_bytes()).decode()


@pytest.fixture
def field_ticket(make_ticket, bob, alice, tom, desktop):
    ticket = make_ticket(bob, title="Laptop will not boot")
    return services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)


@pytest.fixture
def make_order(field_ticket, alice, tom):
    def _make(**extra) -> WorkOrder:
        technician = extra.pop("technician", tom)
        data = {"site_address": "3F Finance, Building A", "contact_name": "Bob", "contact_phone": "13800000001"}
        data.update(extra)
        return wo.workorder_create(ticket=field_ticket, actor=alice, technician=technician, **data)

    return _make


@pytest.fixture
def order(make_order):
    return make_order()


PATH = [
    ("accept", {}),
    ("depart", {}),
    ("arrive", {}),
    ("diagnose", {"diagnosis": "Failed SSD", "quote_amount": "450.00", "quote_notes": "New 512 GB SSD"}),
    ("approve_quote", {}),
]
SERVICES = {
    "accept": wo.workorder_accept,
    "depart": wo.workorder_depart,
    "arrive": wo.workorder_arrive,
    "diagnose": wo.workorder_diagnose,
    "approve_quote": wo.workorder_approve_quote,
    "decline_quote": wo.workorder_decline_quote,
    "repair": wo.workorder_repair,
    "take_back": wo.workorder_take_back,
    "return": wo.workorder_return,
    "cancel": wo.workorder_cancel,
}


def args_for(action: str) -> dict:
    return {
        "diagnose": {"diagnosis": "Failed SSD", "quote_amount": "450.00"},
        "take_back": {"promised_return_at": timezone.now() + timedelta(days=3)},
        "cancel": {"reason": "Customer not there"},
    }.get(action, {})


def walk_to(order: WorkOrder, state: str, actor) -> WorkOrder:
    """Take `order` to `state` through the services."""
    routes = {
        W.DISPATCHED: [],
        W.ACCEPTED: ["accept"],
        W.EN_ROUTE: ["accept", "depart"],
        W.ON_SITE: ["accept", "depart", "arrive"],
        W.DIAGNOSED: ["accept", "depart", "arrive", "diagnose"],
        W.QUOTE_APPROVED: ["accept", "depart", "arrive", "diagnose", "approve_quote"],
        W.QUOTE_DECLINED: ["accept", "depart", "arrive", "diagnose", "decline_quote"],
        W.REPAIRED_ONSITE: ["accept", "depart", "arrive", "diagnose", "approve_quote", "repair"],
        W.TAKEN_BACK: ["accept", "depart", "arrive", "diagnose", "approve_quote", "take_back"],
        W.RETURNED: ["accept", "depart", "arrive", "diagnose", "approve_quote", "take_back", "return"],
        W.CANCELLED: ["cancel"],
    }
    if state == W.COMPLETED:
        order = walk_to(order, W.REPAIRED_ONSITE, actor)
        return wo.workorder_complete(order=order, actor=actor, key=k(), signer_name="Bob", signature=png_data_url())
    for action in routes[state]:
        order = SERVICES[action](order=order, actor=actor, key=k(), **args_for(action))
    assert order.state == state
    return order
