def test_agent_creates_ticket_through_api(as_user, alice, bob):
    r = as_user(alice).post(
        "/api/v1/tickets/",
        {
            "type": "incident",
            "title": "VPN down",
            "channel": "phone",
            "impact": 1,
            "urgency": 2,
            "requester": bob.pk,
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["number"].startswith("INC-")
    assert r.json()["priority"] == 2
