"""The OpenAPI schema integrators read: it generates and validates cleanly, and the docs pages answer."""

from __future__ import annotations

import re

import yaml
from django.core.management import call_command


def test_the_schema_validates_without_errors_or_warnings_that_matter(db, tmp_path, capsys):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--file", str(target))

    err = capsys.readouterr().err
    # No warning at all, enum naming included: each shared choice set has one name (ENUM_NAME_OVERRIDES).
    problems = [line for line in err.splitlines() if re.search(r"\b(Warning|Error)\b", line)]
    assert problems == [], err
    assert not re.search(r"Errors:\s+[1-9]", err)
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/users/",
        "/api/v1/departments/",
        "/api/v1/support-groups/",
        "/api/v1/categories/",
        "/api/v1/tickets/",
        "/api/v1/tickets/{number}/",
        "/api/v1/tickets/{number}/assign/",
        "/api/v1/tickets/{number}/comments/",
        "/api/v1/tickets/{number}/attachments/",
        "/api/v1/tickets/{number}/events/",
        "/api/v1/public/status/",
    ):
        assert path in paths, path
    user_id = next(p for p in paths["/api/v1/users/{id}/"]["get"]["parameters"] if p["name"] == "id")
    assert user_id["schema"]["type"] == "integer"
    ticket = schema["components"]["schemas"]["Ticket"]["properties"]
    assert {"number", "status", "priority", "sla", "first_contact_resolution"} <= set(ticket)
    assert ticket["sla"]["type"] == "array"


def test_the_schema_and_the_docs_answer(client, db):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"openapi" in schema.content
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
