"""People and configuration API: administrators provision users, departments, support groups and categories;
everybody else may read what they may see and nothing more."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from servicedesk.models import AuditEvent, Category, Department, SupportGroup, User

USERS = "/api/v1/users/"
DEPARTMENTS = "/api/v1/departments/"
GROUPS = "/api/v1/support-groups/"
CATEGORIES = "/api/v1/categories/"
STRONG_PASSWORD = "Blue-lantern-harbor-7"


# --- users ------------------------------------------------------------------------------------------


def test_admin_provisions_a_user_with_roles_tier_and_department(as_user, ada, dept):
    r = as_user(ada).post(
        USERS,
        {
            "username": "wang.wei",
            "password": STRONG_PASSWORD,
            "email": "wang.wei@example.com",
            "phone": "13800000009",
            "display_name": "王伟",
            "roles": ["technician", "callback_agent"],
            "customer_tier": "vip",
            "department": dept.pk,
        },
    )

    assert r.status_code == 201, r.content
    body = r.json()
    assert isinstance(body["id"], int)
    assert body["username"] == "wang.wei"
    assert body["email"] == "wang.wei@example.com"
    assert body["phone"] == "13800000009"
    assert body["display_name"] == "王伟"
    assert sorted(body["roles"]) == ["callback_agent", "technician"]
    assert body["customer_tier"] == "vip"
    assert body["department"] == dept.pk
    assert "password" not in body
    user = User.objects.get(pk=body["id"])
    assert user.check_password(STRONG_PASSWORD)
    assert user.role_names == {"technician", "callback_agent"}
    assert user.is_vip
    assert AuditEvent.objects.filter(kind="user_created", object_id=str(user.pk), actor=ada).exists()


def test_a_user_without_roles_is_an_end_user_without_a_department(as_user, ada):
    r = as_user(ada).post(USERS, {"username": "li.na", "password": STRONG_PASSWORD})

    assert r.status_code == 201, r.content
    assert r.json()["roles"] == ["end_user"]
    assert r.json()["customer_tier"] == "standard"
    assert r.json()["department"] is None


def test_the_new_user_can_get_a_token_and_use_the_api(as_user, ada):
    as_user(ada).post(USERS, {"username": "li.na", "password": STRONG_PASSWORD, "roles": ["agent"]})

    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "li.na", "password": STRONG_PASSWORD}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/").json()

    assert me["username"] == "li.na"
    assert me["roles"] == ["agent"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "bob", "password": STRONG_PASSWORD}, "username"),
        ({"username": "BOB", "password": STRONG_PASSWORD}, "username"),
        ({"username": "new.one", "password": STRONG_PASSWORD, "roles": ["wizard"]}, "roles"),
        ({"username": "new.one", "password": STRONG_PASSWORD, "customer_tier": "gold"}, "customer_tier"),
        ({"username": "new.one", "password": "12345678"}, "password"),
        ({"username": "new.one", "password": "short"}, "password"),
        ({"username": "new.one", "password": STRONG_PASSWORD, "department": 999999}, "department"),
        ({"username": "has space", "password": STRONG_PASSWORD}, "username"),
        ({"password": STRONG_PASSWORD}, "username"),
    ],
)
def test_bad_user_input_is_a_400_naming_the_field(as_user, ada, bob, payload, field):
    before = User.objects.count()

    r = as_user(ada).post(USERS, payload)

    assert r.status_code == 400, r.content
    assert field in r.json()
    assert all(isinstance(m, str) for m in r.json()[field])
    assert User.objects.count() == before


# --- who may provision ------------------------------------------------------------------------------


@pytest.fixture
def payloads(desktop, dept):
    return {
        USERS: {"username": "intruder", "password": STRONG_PASSWORD, "roles": ["admin"]},
        DEPARTMENTS: {"name": "Legal"},
        GROUPS: {"name": "Shadow team", "members": [], "lead": None},
        CATEGORIES: {"name": "Shadow category", "default_group": desktop.pk},
    }


def _counts() -> tuple[int, int, int, int]:
    return User.objects.count(), Department.objects.count(), SupportGroup.objects.count(), Category.objects.count()


@pytest.mark.parametrize("path", [USERS, DEPARTMENTS, GROUPS, CATEGORIES])
@pytest.mark.parametrize("persona", ["alice", "sam", "tom", "bob", "vera"])
def test_only_administrators_may_provision(request, as_user, payloads, path, persona):
    user = request.getfixturevalue(persona)
    before = _counts()

    r = as_user(user).post(path, payloads[path])

    assert r.status_code == 403, r.content
    assert "detail" in r.json()
    assert _counts() == before


@pytest.mark.parametrize("path", [USERS, DEPARTMENTS, GROUPS, CATEGORIES, "/api/v1/me/"])
def test_anonymous_calls_are_401_with_a_token_challenge(api, payloads, path):
    for response in (api.get(path), api.post(path, payloads.get(path, {}))):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_401(api, ada):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get(USERS).status_code == 401


# --- departments, groups, categories ----------------------------------------------------------------


def test_admin_creates_a_department(as_user, ada):
    r = as_user(ada).post(DEPARTMENTS, {"name": "  Human Resources  "})

    assert r.status_code == 201, r.content
    assert Department.objects.get(pk=r.json()["id"]).name == "Human Resources"
    assert r.json()["name"] == "Human Resources"


def test_a_department_name_is_unique_regardless_of_case(as_user, ada, dept):
    r = as_user(ada).post(DEPARTMENTS, {"name": "FINANCE"})

    assert r.status_code == 400
    assert "name" in r.json()


def test_admin_creates_a_support_group_with_members_and_a_lead(as_user, ada, tom, tina, lena):
    r = as_user(ada).post(GROUPS, {"name": "Printers", "members": [tom.pk, tina.pk], "lead": lena.pk})

    assert r.status_code == 201, r.content
    group = SupportGroup.objects.get(pk=r.json()["id"])
    assert group.lead == lena
    # The lead is a member too: they see and may accept the group's tickets.
    assert set(group.members.all()) == {tom, tina, lena}
    assert sorted(r.json()["members"]) == sorted([tom.pk, tina.pk, lena.pk])
    assert r.json()["lead"] == lena.pk


def test_a_group_with_an_unknown_member_is_refused(as_user, ada):
    r = as_user(ada).post(GROUPS, {"name": "Ghosts", "members": [999999]})

    assert r.status_code == 400
    assert "members" in r.json()
    assert not SupportGroup.objects.filter(name="Ghosts").exists()


def test_a_group_name_is_unique(as_user, ada, desktop):
    r = as_user(ada).post(GROUPS, {"name": "desktop SUPPORT"})

    assert r.status_code == 400
    assert "name" in r.json()


def test_admin_creates_a_category_under_a_parent_with_a_default_group(as_user, ada, hardware, network):
    r = as_user(ada).post(CATEGORIES, {"name": "Routers", "parent": hardware.pk, "default_group": network.pk})

    assert r.status_code == 201, r.content
    category = Category.objects.get(pk=r.json()["id"])
    assert category.parent == hardware
    assert category.routing_group() == network
    assert r.json()["parent"] == hardware.pk
    assert r.json()["default_group"] == network.pk


def test_a_category_inherits_its_parents_routing_group(as_user, ada, hardware, desktop):
    r = as_user(ada).post(CATEGORIES, {"name": "Printers", "parent": hardware.pk})

    assert Category.objects.get(pk=r.json()["id"]).routing_group() == desktop


def test_the_same_category_name_may_live_under_different_parents_but_not_twice_under_one(as_user, ada, hardware):
    client = as_user(ada)
    software = client.post(CATEGORIES, {"name": "Software"}).json()

    assert client.post(CATEGORIES, {"name": "Other", "parent": hardware.pk}).status_code == 201
    assert client.post(CATEGORIES, {"name": "Other", "parent": software["id"]}).status_code == 201
    duplicate = client.post(CATEGORIES, {"name": "other", "parent": hardware.pk})
    assert duplicate.status_code == 400
    assert "name" in duplicate.json()
    assert client.post(CATEGORIES, {"name": "HARDWARE"}).status_code == 400


# --- reads ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fixture"),
    [(DEPARTMENTS, "dept"), (GROUPS, "desktop"), (CATEGORIES, "hardware")],
)
def test_any_signed_in_user_reads_the_configuration(as_user, request, bob, path, fixture):
    obj = request.getfixturevalue(fixture)
    client = as_user(bob)

    listing = client.get(path)
    detail = client.get(f"{path}{obj.pk}/")

    assert listing.status_code == 200
    assert set(listing.json()) >= {"count", "next", "previous", "results"}
    assert obj.pk in [item["id"] for item in listing.json()["results"]]
    assert detail.status_code == 200
    assert detail.json()["id"] == obj.pk
    assert client.get(f"{path}999999/").status_code == 404


def test_support_group_detail_lists_members_and_lead(as_user, alice, desktop, tom, tina, lena):
    body = as_user(alice).get(f"{GROUPS}{desktop.pk}/").json()

    assert body["name"] == "Desktop support"
    assert sorted(body["members"]) == sorted([tom.pk, tina.pk, lena.pk])
    assert body["lead"] == lena.pk


def test_an_end_user_sees_only_themselves_in_the_user_directory(as_user, bob, carol, alice):
    client = as_user(bob)

    listing = client.get(USERS).json()

    assert [u["username"] for u in listing["results"]] == ["bob"]
    assert client.get(f"{USERS}{bob.pk}/").status_code == 200
    assert client.get(f"{USERS}{carol.pk}/").status_code == 404
    assert client.get(f"{USERS}{alice.pk}/").status_code == 404


def test_the_desk_sees_everybody_with_their_roles(as_user, alice, bob, vera, tom):
    listing = as_user(alice).get(USERS, {"page_size": 100}).json()

    by_name = {u["username"]: u for u in listing["results"]}
    assert {"alice", "bob", "vera", "tom"} <= set(by_name)
    assert by_name["tom"]["roles"] == ["technician"]
    assert by_name["vera"]["customer_tier"] == "vip"
    assert by_name["bob"]["department"] == bob.department_id


def test_me_describes_the_caller(as_user, vera):
    r = as_user(vera).get("/api/v1/me/")

    assert r.status_code == 200
    body = r.json()
    assert body["id"] == vera.pk
    assert body["username"] == "vera"
    assert body["roles"] == ["end_user"]
    assert body["customer_tier"] == "vip"


def test_me_lists_every_role_of_a_multi_role_user(as_user, ada):
    from servicedesk import services as people

    people.user_set_roles(actor=ada, user=ada, roles=["admin", "supervisor"])

    assert sorted(as_user(ada).get("/api/v1/me/").json()["roles"]) == ["admin", "supervisor"]


# --- the first superuser ------------------------------------------------------------------------------


def test_a_createsuperuser_noinput_superuser_provisions_everything_through_the_api(db, monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Initial-setup-pass-42")
    call_command("createsuperuser", interactive=False, verbosity=0)
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "root", "password": "Initial-setup-pass-42"})
    assert token.status_code == 200, token.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    department = client.post(DEPARTMENTS, {"name": "Operations"})
    lead = client.post(
        USERS,
        {
            "username": "ops.lead",
            "password": STRONG_PASSWORD,
            "roles": ["technician"],
            "department": department.json()["id"],
        },
    )
    admin = client.post(USERS, {"username": "ops.admin", "password": STRONG_PASSWORD, "roles": ["admin"]})
    group = client.post(GROUPS, {"name": "Operations", "members": [lead.json()["id"]], "lead": lead.json()["id"]})
    category = client.post(CATEGORIES, {"name": "Servers", "default_group": group.json()["id"]})

    assert [r.status_code for r in (department, lead, admin, group, category)] == [201] * 5
    assert "admin" in client.get("/api/v1/me/").json()["roles"]
    assert Category.objects.get(name="Servers").routing_group().name == "Operations"
    assert User.objects.get(username="ops.admin").has_role("admin")


# --- a fixed number of queries ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 30])
def test_the_user_directory_uses_a_fixed_number_of_queries(api, ada, dept, django_assert_num_queries, n):
    from servicedesk import services as people

    for i in range(n):
        people.user_create(actor=None, username=f"user{i}", password=None, roles=["end_user", "technician"])
    api.force_authenticate(User.objects.get(pk=ada.pk))  # a fresh object: its roles are not cached yet

    # the caller's roles, the count for the page, the page of users, their roles (one prefetch)
    with django_assert_num_queries(4):
        r = api.get(USERS, {"page_size": 100})

    assert r.json()["count"] == n + 1
    assert all(u["roles"] for u in r.json()["results"])


@pytest.mark.parametrize("n", [2, 20])
def test_the_group_list_uses_a_fixed_number_of_queries(api, ada, tom, tina, django_assert_num_queries, n):
    from servicedesk import services as people

    for i in range(n):
        people.support_group_create(actor=None, name=f"Team {i}", members=[tom, tina], lead=tom)
    api.force_authenticate(ada)

    # the count for the page, the page of groups, their members (one prefetch)
    with django_assert_num_queries(3):
        r = api.get(GROUPS, {"page_size": 100})

    assert r.json()["count"] == n
    assert all(sorted(g["members"]) == sorted([tom.pk, tina.pk]) for g in r.json()["results"])
