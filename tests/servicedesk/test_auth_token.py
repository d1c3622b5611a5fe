"""The token endpoint: a password buys a token; repeated failures lock the account (and the address) for a
while, exactly like the login page."""

from __future__ import annotations

from django.test import override_settings
from rest_framework.authtoken.models import Token

TOKEN = "/api/v1/auth/token/"
PASSWORD = "correct-horse-battery-9"  # the personas' password (tests/conftest.py)


def test_a_correct_password_returns_a_token_that_authenticates(api, bob):
    r = api.post(TOKEN, {"username": "bob", "password": PASSWORD})

    assert r.status_code == 200
    assert set(r.json()) == {"token"}
    assert r.json()["token"] == Token.objects.get(user=bob).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert api.get("/api/v1/me/").json()["username"] == "bob"


def test_asking_twice_returns_the_same_token(api, bob):
    first = api.post(TOKEN, {"username": "bob", "password": PASSWORD}).json()["token"]
    second = api.post(TOKEN, {"username": "bob", "password": PASSWORD}).json()["token"]

    assert first == second


def test_a_wrong_password_is_a_400_without_a_token(api, bob):
    r = api.post(TOKEN, {"username": "bob", "password": "wrong-password"})

    assert r.status_code == 400
    assert "token" not in r.json()
    assert r.json()["non_field_errors"]
    assert not Token.objects.filter(user=bob).exists()


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(api, bob):
    unknown = api.post(TOKEN, {"username": "nobody", "password": "wrong-password"})
    wrong = api.post(TOKEN, {"username": "bob", "password": "wrong-password"})

    assert unknown.status_code == wrong.status_code == 400
    assert unknown.json() == wrong.json()


def test_missing_credentials_are_field_errors(api, db):
    r = api.post(TOKEN, {})

    assert r.status_code == 400
    assert set(r.json()) == {"username", "password"}


def test_a_body_that_is_not_an_object_is_a_400(api, db):
    r = api.post(TOKEN, ["bob", PASSWORD], format="json")

    assert r.status_code == 400


def test_an_inactive_user_gets_no_token(api, bob):
    bob.is_active = False
    bob.save(update_fields=["is_active"])

    assert api.post(TOKEN, {"username": "bob", "password": PASSWORD}).status_code == 400


@override_settings(LOGIN_FAILURE_LIMIT=5)
def test_repeated_failures_lock_the_account_even_for_the_right_password(api, bob, carol):
    for _ in range(5):
        assert api.post(TOKEN, {"username": "bob", "password": "guess"}).status_code == 400

    locked = api.post(TOKEN, {"username": "bob", "password": PASSWORD})

    assert locked.status_code == 429
    assert "detail" in locked.json()
    assert "token" not in locked.json()
    # The lock is on bob's account, not on everybody behind this address.
    assert api.post(TOKEN, {"username": "carol", "password": PASSWORD}).status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=5)
def test_the_lock_ignores_the_case_of_the_username(api, bob):
    for name in ("bob", "BOB", "Bob", "bOb", " bob"):
        api.post(TOKEN, {"username": name, "password": "guess"})

    assert api.post(TOKEN, {"username": "bob", "password": PASSWORD}).status_code == 429


@override_settings(LOGIN_FAILURE_LIMIT=5)
def test_a_successful_login_forgives_earlier_failures(api, bob):
    for _ in range(4):
        api.post(TOKEN, {"username": "bob", "password": "guess"})
    assert api.post(TOKEN, {"username": "bob", "password": PASSWORD}).status_code == 200
    for _ in range(4):
        api.post(TOKEN, {"username": "bob", "password": "guess"})

    assert api.post(TOKEN, {"username": "bob", "password": PASSWORD}).status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_guessing_across_many_accounts_locks_the_address(api, bob):
    # Password spraying: few tries per account, many accounts, one address.
    for i in range(8):
        api.post(TOKEN, {"username": f"user{i}", "password": "Summer2026!"})

    assert api.post(TOKEN, {"username": "bob", "password": PASSWORD}).status_code == 429
    assert api.post(TOKEN, {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3").status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_a_forged_forwarded_for_header_does_not_escape_the_address_lock(api, bob):
    for i in range(8):
        api.post(TOKEN, {"username": f"user{i}", "password": "guess"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")

    r = api.post(TOKEN, {"username": "bob", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert r.status_code == 429
