"""Intake: every report gets a unique human-readable number, a priority from impact × urgency (VIPs one level
higher), a requester who is the filer unless the desk files on someone's behalf, and a `created` event."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from servicedesk.errors import ValidationFailed
from tickets import services
from tickets.models import PriorityRule, Ticket, TicketEvent

NUMBER = re.compile(r"^(INC|REQ|INQ|CMP)-(\d{4})-(\d{6})$")


def _create(actor, **fields) -> Ticket:
    data = {"type": "incident", "title": "Printer jams", "channel": "phone", "impact": 3, "urgency": 3}
    data.update(fields)
    return services.ticket_create(actor=actor, data=services.TicketInput(**data))


@pytest.mark.parametrize(
    ("ticket_type", "prefix"),
    [("incident", "INC"), ("request", "REQ"), ("inquiry", "INQ"), ("complaint", "CMP")],
)
def test_the_number_is_prefixed_by_type_and_carries_the_year(alice, bob, ticket_type, prefix):
    ticket = _create(alice, type=ticket_type, requester=bob)

    match = NUMBER.match(ticket.number)
    assert match, ticket.number
    assert match[1] == prefix
    assert int(match[2]) == timezone.localtime().year


def test_numbers_are_unique_and_increase(alice, bob):
    numbers = [_create(alice, requester=bob, type=t).number for t in ("incident", "request", "incident", "inquiry")]

    serials = [int(NUMBER.match(n)[3]) for n in numbers]
    assert len(set(numbers)) == 4
    assert serials == sorted(serials)
    assert len(set(serials)) == 4


@pytest.mark.parametrize("impact", [1, 2, 3])
@pytest.mark.parametrize("urgency", [1, 2, 3])
def test_priority_follows_the_default_matrix(alice, bob, impact, urgency):
    ticket = _create(alice, requester=bob, impact=impact, urgency=urgency)

    assert ticket.priority == min(4, impact + urgency - 1)
    assert (ticket.impact, ticket.urgency) == (impact, urgency)
    assert ticket.is_vip is False


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [(1, 1, 1), (1, 2, 1), (2, 1, 1), (1, 3, 2), (2, 2, 2), (3, 1, 2), (2, 3, 3), (3, 2, 3), (3, 3, 3)],
)
def test_a_vip_requester_is_one_level_higher_but_never_above_p1(alice, vera, impact, urgency, expected):
    ticket = _create(alice, requester=vera, impact=impact, urgency=urgency)

    assert ticket.priority == expected
    assert ticket.is_vip is True


def test_a_priority_rule_overrides_its_cell_of_the_matrix(alice, bob, vera):
    PriorityRule.objects.create(impact=3, urgency=3, priority=2)

    overridden = _create(alice, requester=bob, impact=3, urgency=3)
    vip = _create(alice, requester=vera, impact=3, urgency=3)
    untouched = _create(alice, requester=bob, impact=2, urgency=3)

    assert overridden.priority == 2
    assert vip.priority == 1
    assert untouched.priority == 4


def test_the_desk_files_on_behalf_of_a_requester(alice, bob):
    ticket = _create(alice, requester=bob)

    assert ticket.requester == bob
    assert ticket.created_by == alice
    assert ticket.department == bob.department
    assert ticket.contact_email == "bob@example.com"
    assert ticket.contact_phone == bob.phone


@pytest.mark.parametrize("filer", ["bob", "tom"])
def test_everyone_else_files_for_themselves_whoever_they_name(request, carol, filer):
    actor = request.getfixturevalue(filer)

    ticket = _create(actor, requester=carol)

    assert ticket.requester == actor
    assert ticket.contact_email == f"{filer}@example.com"


def test_a_vip_filing_for_themselves_is_a_vip_ticket(vera):
    assert _create(vera, impact=2, urgency=2).priority == 2


def test_a_new_ticket_starts_new_unowned_and_unanswered(alice, bob):
    ticket = _create(alice, requester=bob, channel="email", description="It beeps")

    assert ticket.status == Ticket.Status.NEW
    assert ticket.group is None and ticket.assignee is None
    assert ticket.first_response_at is None and ticket.resolved_at is None and ticket.closed_at is None
    assert ticket.first_contact_resolution is False
    assert ticket.channel == "email"
    assert ticket.description == "It beeps"
    assert ticket.version == 1


def test_intake_records_one_created_event(alice, bob):
    ticket = _create(alice, requester=bob, impact=1, urgency=2)

    events = list(ticket.events.all())
    assert [e.kind for e in events] == [TicketEvent.Kind.CREATED]
    assert events[0].actor == alice
    assert events[0].data == {"type": "incident", "channel": "phone", "priority": 2, "requester": bob.pk}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"title": "   "}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"type": "praise"}, {"type"}),
        ({"channel": "pigeon"}, {"channel"}),
        ({"impact": 0, "urgency": 4}, {"impact", "urgency"}),
        ({"impact": "high"}, {"impact"}),
    ],
)
def test_bad_intake_names_every_bad_field_and_records_nothing(alice, bob, fields, errors):
    with pytest.raises(ValidationFailed) as exc:
        _create(alice, requester=bob, **fields)

    assert set(exc.value.errors) == errors
    assert not Ticket.objects.exists()


def test_an_inactive_category_is_refused(alice, bob, hardware):
    hardware.is_active = False
    hardware.save(update_fields=["is_active"])

    with pytest.raises(ValidationFailed) as exc:
        _create(alice, requester=bob, category=hardware)

    assert set(exc.value.errors) == {"category"}


def test_an_inactive_requester_is_refused(alice, bob):
    bob.is_active = False
    bob.save(update_fields=["is_active"])

    with pytest.raises(ValidationFailed) as exc:
        _create(alice, requester=bob)

    assert set(exc.value.errors) == {"requester"}
