"""The anonymous status lookup: a number plus the requester's email or phone. It never tells a wrong number from
a wrong contact, shows nothing beyond the status, and gives each client address at most 10 tries a minute."""

from __future__ import annotations

import pytest

from tickets import services

STATUS = "/api/v1/public/status/"


def test_the_requesters_email_reveals_the_status(api, bob_ticket):
    r = api.post(STATUS, {"number": bob_ticket.number, "contact": "bob@example.com"})

    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"number", "title", "status", "created_at", "updated_at", "resolved_at"}
    assert body["number"] == bob_ticket.number
    assert body["title"] == bob_ticket.title
    assert body["status"] == "new"
    assert body["resolved_at"] is None


@pytest.mark.parametrize("contact", ["BOB@Example.com", " bob@example.com ", "+86 138 0000 0001", "+86-13800000001"])
def test_email_case_and_phone_punctuation_do_not_matter(api, bob_ticket, contact):
    assert api.post(STATUS, {"number": bob_ticket.number, "contact": contact}).status_code == 200


def test_the_number_is_case_insensitive(api, bob_ticket):
    assert api.post(STATUS, {"number": bob_ticket.number.lower(), "contact": "bob@example.com"}).status_code == 200


def test_the_contact_given_at_intake_works_too(api, alice, bob):
    ticket = services.ticket_create(
        actor=alice,
        data=services.TicketInput(
            type="incident", title="Phone line dead", requester=bob, contact_email="bob.home@example.net"
        ),
    )

    assert api.post(STATUS, {"number": ticket.number, "contact": "bob.home@example.net"}).status_code == 200


def test_a_resolved_ticket_shows_when_it_was_resolved(api, alice, bob_ticket):
    services.ticket_resolve(ticket=bob_ticket, actor=alice, resolution="Reinstalled the driver")

    body = api.post(STATUS, {"number": bob_ticket.number, "contact": "bob@example.com"}).json()

    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None


def test_a_wrong_number_and_a_wrong_contact_get_the_same_404(api, bob_ticket, carol):
    wrong_number = api.post(STATUS, {"number": "INC-2026-999999", "contact": "bob@example.com"})
    wrong_contact = api.post(STATUS, {"number": bob_ticket.number, "contact": "carol@example.com"})
    wrong_phone = api.post(STATUS, {"number": bob_ticket.number, "contact": "13900000002"})

    assert wrong_number.status_code == wrong_contact.status_code == wrong_phone.status_code == 404
    assert wrong_number.json() == wrong_contact.json() == wrong_phone.json()


@pytest.mark.parametrize("contact", ["", "1", "0001", "@", "example.com"])
def test_fragments_of_a_contact_do_not_match(api, bob_ticket, contact):
    r = api.post(STATUS, {"number": bob_ticket.number, "contact": contact})

    assert r.status_code in (400, 404)
    assert "title" not in r.json()


def test_missing_fields_are_a_400(api, db):
    r = api.post(STATUS, {})

    assert r.status_code == 400
    assert set(r.json()) == {"number", "contact"}


def test_eleven_tries_in_a_minute_from_one_address_are_throttled(api, bob_ticket):
    for i in range(10):
        assert api.post(STATUS, {"number": f"INC-2026-{i:06d}", "contact": "x@example.com"}).status_code == 404

    throttled = api.post(STATUS, {"number": bob_ticket.number, "contact": "bob@example.com"})

    assert throttled.status_code == 429
    # Another address is not affected.
    other = api.post(STATUS, {"number": bob_ticket.number, "contact": "bob@example.com"}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_limit(api, bob_ticket):
    for i in range(10):
        api.post(
            STATUS, {"number": "INC-2026-000000", "contact": "x@example.com"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"
        )

    r = api.post(
        STATUS, {"number": bob_ticket.number, "contact": "bob@example.com"}, HTTP_X_FORWARDED_FOR="198.51.100.1"
    )

    assert r.status_code == 429


def test_signed_in_callers_share_their_addresss_limit(as_user, alice, bob_ticket):
    client = as_user(alice)
    for _ in range(10):
        client.post(STATUS, {"number": "INC-2026-000000", "contact": "x@example.com"})

    assert client.post(STATUS, {"number": bob_ticket.number, "contact": "bob@example.com"}).status_code == 429
