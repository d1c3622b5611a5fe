"""The resolution email's signed self-rating link: valid, expired, tampered, reused — no sign-in needed."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import time_machine
from django.utils import timezone

from tickets import followups
from tickets.models import FollowUp, Ticket

S = Ticket.Status


@pytest.fixture
def rating_path(bob_ticket, resolve, cora, mailoutbox, django_capture_on_commit_callbacks) -> str:
    """Resolve bob's ticket and take the self-rating link out of the email bob receives."""
    with django_capture_on_commit_callbacks(execute=True):
        resolve(bob_ticket)
    (mail,) = [m for m in mailoutbox if "is resolved" in m.subject]
    assert mail.to == ["bob@example.com"]
    match = re.search(r"https?://\S+/followups/rate/\S+/", mail.body)
    assert match, mail.body
    return urlparse(match.group(0)).path


def _followup(ticket) -> FollowUp:
    return FollowUp.objects.get(ticket=ticket)


def test_the_requester_confirms_and_rates_without_signing_in_and_the_ticket_closes(client, rating_path, bob_ticket):
    page = client.get(rating_path)
    assert page.status_code == 200
    assert "Bob&#x27;s laptop will not boot" in page.content.decode() or "Bob's laptop" in page.content.decode()
    done = client.post(rating_path, {"fix": "yes", "satisfaction": "5", "comment": "Quick and friendly"})
    assert done.status_code == 200
    assert "Thank you" in done.content.decode()
    followup = _followup(bob_ticket)
    assert (followup.state, followup.satisfaction, followup.fix_confirmed, followup.outcome) == (
        "done",
        5,
        True,
        "closed",
    )
    (attempt,) = followup.attempts.all()
    assert attempt.channel == "self_service" and attempt.agent is None and attempt.comment == "Quick and friendly"
    assert Ticket.objects.get(pk=bob_ticket.pk).status == S.CLOSED
    event = bob_ticket.events.get(kind="followup_recorded")
    assert event.actor.username == "bob" and event.data["channel"] == "self_service"


def test_a_requester_who_says_it_is_not_fixed_reopens_the_ticket(client, rating_path, bob_ticket, tom):
    response = client.post(rating_path, {"fix": "no", "satisfaction": "3", "comment": "Still will not boot"})
    assert response.status_code == 200
    ticket = Ticket.objects.get(pk=bob_ticket.pk)
    assert ticket.status == S.IN_PROGRESS and ticket.assignee == tom
    assert _followup(bob_ticket).outcome == "reopened"


def test_an_incomplete_answer_is_shown_again_with_errors(client, rating_path, bob_ticket):
    response = client.post(rating_path, {"fix": "yes"})
    assert response.status_code == 400
    assert "Choose how satisfied you are." in response.content.decode()
    assert _followup(bob_ticket).state == "due" and _followup(bob_ticket).attempts.count() == 0


def test_a_reused_link_changes_nothing(client, rating_path, bob_ticket):
    client.post(rating_path, {"fix": "yes", "satisfaction": "4"})
    again = client.post(rating_path, {"fix": "no", "satisfaction": "1"})
    assert again.status_code == 409
    assert "already been used" in again.content.decode()
    assert client.get(rating_path).status_code == 409
    followup = _followup(bob_ticket)
    assert followup.attempts.count() == 1 and followup.satisfaction == 4
    assert Ticket.objects.get(pk=bob_ticket.pk).status == S.CLOSED


def test_an_expired_link_changes_nothing(client, rating_path, bob_ticket):
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        assert client.get(rating_path).status_code == 410
        response = client.post(rating_path, {"fix": "yes", "satisfaction": "5"})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert _followup(bob_ticket).state == "due" and _followup(bob_ticket).attempts.count() == 0


def test_a_link_is_still_good_on_day_thirteen(client, rating_path, bob_ticket):
    with time_machine.travel(timezone.now() + timedelta(days=13)):
        assert client.get(rating_path).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # forged signature
        lambda token: str(int(token.split(":")[0]) + 1) + token[token.index(":") :],  # someone else's follow-up
        lambda token: "garbage",
    ],
)
def test_a_tampered_link_changes_nothing(client, rating_path, bob_ticket, tamper):
    token = rating_path.rstrip("/").rsplit("/", 1)[1]
    path = rating_path.replace(token, tamper(token))
    assert client.get(path).status_code == 400
    response = client.post(path, {"fix": "yes", "satisfaction": "5"})
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert _followup(bob_ticket).attempts.count() == 0


def test_a_link_signed_for_another_purpose_is_refused(bob_followup):
    from django.core import signing

    token = signing.TimestampSigner(salt="something-else").sign(str(bob_followup.pk))
    with pytest.raises(followups.LinkError) as exc:
        followups.followup_from_token(token)
    assert exc.value.status_code == 400


def test_the_link_of_a_reopened_ticket_no_longer_works(client, rating_path, bob_ticket, alice):
    from tickets import services

    services.ticket_reopen(ticket=bob_ticket, actor=alice, reason="User called back")
    assert client.get(rating_path).status_code == 409


def test_a_ticket_without_a_callback_gets_no_link(bob_ticket, alice, mailoutbox, django_capture_on_commit_callbacks):
    from tickets import services
    from tickets.models import FollowUpRule

    FollowUpRule.objects.create(name="No incidents", ticket_type="incident")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_resolve(ticket=bob_ticket, actor=alice, resolution="Rebooted")
    (mail,) = [m for m in mailoutbox if "is resolved" in m.subject]
    assert "/followups/rate/" not in mail.body
