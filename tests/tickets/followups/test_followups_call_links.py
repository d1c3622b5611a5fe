"""From a callback: raise the user's complaint at the desk, or write the fix up as a knowledge article."""

from __future__ import annotations


def test_call_page_offers_a_complaint_and_an_article_to_desk_staff(client, alice, bob_followup):
    client.force_login(alice)
    page = client.get(f"/followups/{bob_followup.pk}/").content.decode()
    assert "/desk/new/?type=complaint" in page
    assert f"/kb/new/?from_ticket={bob_followup.ticket.number}" in page


def test_callback_agent_sees_the_article_link_but_cannot_register_complaints(client, cora, bob_followup):
    client.force_login(cora)
    page = client.get(f"/followups/{bob_followup.pk}/").content.decode()
    assert "/desk/new/?type=complaint" not in page
    assert "/kb/new/?from_ticket=" in page


def test_intake_opens_prefilled_for_a_complaint(client, alice, bob):
    client.force_login(alice)
    response = client.get("/desk/new/?type=complaint&channel=phone&requester_query=bob&title=Complaint+about+X")
    form = response.context["form"]
    assert form.initial["type"] == "complaint"
    assert form.initial["requester_query"] == "bob"
    assert 'value="Complaint about X"' in response.content.decode()
