"""The notice pages: writing a notice, the workflow buttons each person gets, the desk publishing on behalf,
translated error messages, the management list and its query count."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from notices import services
from notices.models import Notice


def local(delta: timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def test_a_team_member_writes_a_notice_on_the_page(client, tom, desktop, dept):
    client.force_login(tom)
    assert client.get("/notices/new/").status_code == 200
    response = client.post(
        "/notices/new/",
        {
            "type": "maintenance",
            "severity": "major",
            "title": "Printer driver update",
            "body": "Printers restart at **noon**.",
            "owner_group": desktop.pk,
            "window_start": local(timedelta(days=2)),
            "window_end": local(timedelta(days=2, hours=1)),
            "audience_departments": [dept.pk],
            "audience_roles": ["end_user"],
        },
    )
    notice = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/notices/{notice.pk}/"
    assert notice.status == "draft" and notice.author == tom and notice.severity == "major"
    assert list(notice.audience_departments.all()) == [dept]
    assert [r.role for r in notice.audience_role_rows.all()] == ["end_user"]


def test_bad_input_on_the_page_comes_back_with_the_service_message_and_nothing_saved(client, tom, desktop):
    client.force_login(tom)
    response = client.post(
        "/notices/new/",
        {
            "type": "outage",
            "severity": "info",
            "title": "VPN down",
            "body": "We are on it.",
            "owner_group": desktop.pk,
            "publish_at": local(timedelta(hours=5)),
            "expire_at": local(timedelta(hours=1)),
        },
    )
    assert response.status_code == 400
    assert "The notice must expire after it is published." in response.content.decode()
    assert not Notice.objects.exists()


ZH_COMPILED = (Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.mo").exists()


@pytest.mark.skipif(not ZH_COMPILED, reason="the zh_Hans catalogue is not compiled: run `make messages`")
def test_pages_and_api_errors_come_back_in_chinese(client, api, tom, approved, alice, desktop):
    client.force_login(tom)
    response = client.post(
        "/notices/new/",
        {
            "type": "outage",
            "severity": "info",
            "title": "VPN",
            "body": "Down",
            "owner_group": desktop.pk,
            "publish_at": local(timedelta(hours=5)),
            "expire_at": local(timedelta(hours=1)),
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "过期时间必须晚于发布时间。" in response.content.decode()
    notice = approved()
    api.force_authenticate(alice)
    response = api.patch(f"/api/v1/notices/{notice.pk}/", {"title": "x"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    assert "Desktop support" in response.json()["detail"] and "不得修改" in response.json()["detail"]


def test_the_new_notice_page_is_for_the_teams_only(client, bob):
    client.force_login(bob)
    assert client.get("/notices/new/").status_code == 403
    assert client.get("/notices/manage/").status_code == 403


def test_each_person_gets_the_buttons_of_their_steps(client, submitted, approved, tom, lena, alice, nick):
    notice = submitted()
    client.force_login(lena)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert 'data-action="approve"' in page and 'data-action="reject"' in page
    client.force_login(tom)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert 'data-action="approve"' not in page and 'data-action="edit"' in page
    ready = approved(title="Ready to go")
    client.force_login(alice)
    page = client.get(f"/notices/{ready.pk}/").content.decode()
    assert "Publish on behalf of Desktop support" in page
    assert 'data-action="return"' in page and 'data-action="edit"' not in page
    client.force_login(nick)  # another team: not its notice
    assert client.get(f"/notices/{ready.pk}/").status_code == 404


def test_the_review_and_publication_through_the_pages(client, make_notice, tom, lena, alice, bob):
    notice = make_notice()
    client.force_login(tom)
    client.post(f"/notices/{notice.pk}/submit/")
    client.force_login(lena)
    client.post(f"/notices/{notice.pk}/approve/")
    client.force_login(alice)
    response = client.post(f"/notices/{notice.pk}/publish/", follow=True)
    assert "Published on behalf of Desktop support" in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == "published" and notice.publisher == alice and notice.published_on_behalf
    client.force_login(bob)
    assert f'data-notice-id="{notice.pk}"' in client.get("/portal/").content.decode()


def test_a_refused_step_on_the_page_shows_why_and_changes_nothing(client, submitted, tina):
    notice = submitted()
    client.force_login(tina)
    response = client.post(f"/notices/{notice.pk}/approve/", follow=True)
    assert "responsible person of Desktop support" in response.content.decode()
    assert Notice.objects.get(pk=notice.pk).status == "submitted"


def test_the_desk_cannot_open_the_editor_of_an_approved_notice(client, approved, alice):
    notice = approved()
    client.force_login(alice)
    response = client.get(f"/notices/{notice.pk}/edit/", follow=True)
    assert "must not change its content" in response.content.decode()
    assert client.post(f"/notices/{notice.pk}/edit/", {"title": "x"}).status_code == 302
    assert Notice.objects.get(pk=notice.pk).title == "Mail server upgrade"


def test_editing_an_approved_notice_sends_it_back_to_draft(client, approved, tom):
    notice = approved()
    client.force_login(tom)
    form = client.get(f"/notices/{notice.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, [])}
    data["owner_group"] = notice.owner_group_id
    data["window_start"] = timezone.localtime(notice.window_start).strftime("%Y-%m-%dT%H:%M")
    data["window_end"] = timezone.localtime(notice.window_end).strftime("%Y-%m-%dT%H:%M")
    data["title"] = "Mail server upgrade (new date)"
    response = client.post(f"/notices/{notice.pk}/edit/", data, follow=True)
    assert "back in draft" in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == "draft" and notice.title == "Mail server upgrade (new date)"


def test_a_reviewer_is_warned_when_maintenance_would_be_announced_late(client, submitted, lena):
    soon = timezone.now() + timedelta(hours=6)
    notice = submitted(window_start=soon, window_end=soon + timedelta(hours=1))
    client.force_login(lena)
    assert "will count as late" in client.get(f"/notices/{notice.pk}/").content.decode()


def test_the_notice_page_shows_the_email_progress_and_failures(client, published, alice, bob):
    notice = published()
    services.notice_delivery_start(notice_id=notice.pk)
    client.force_login(alice)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "Email delivery" in page and "sent" in page
    client.force_login(bob)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "Email delivery" not in page and "History" not in page  # readers see the notice, not its workflow


def test_the_body_is_sanitised_on_the_page(client, published, bob):
    notice = published(body="Hello <script>alert('x')</script><img src=x onerror=alert(1)> **world**")
    client.force_login(bob)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "<strong>world</strong>" in page
    assert "alert(" not in page and "onerror" not in page


@pytest.mark.parametrize("n", [1, 8])
def test_the_manage_page_costs_a_fixed_number_of_queries(
    client, published, submitted, alice, n, django_assert_num_queries
):
    for i in range(n):
        published(title=f"Published {i}")
        submitted(title=f"Submitted {i}")
    client.force_login(alice)
    client.get("/notices/manage/")
    # session, user, user's roles, tab counts (one aggregate), paginator count, the page of notices with team,
    # author, reviewer and publisher joined, categories, departments, audience roles, unread notifications
    with django_assert_num_queries(10):
        response = client.get("/notices/manage/")
    assert len(response.context["page"].object_list) == 2 * n


@pytest.mark.parametrize("n", [1, 8])
def test_the_list_page_costs_a_fixed_number_of_queries(client, published, bob, n, django_assert_num_queries):
    for i in range(n):
        published(title=f"Published {i}")
    client.force_login(bob)
    client.get("/notices/")
    # session, user, user's roles, team membership (for the manage link), paginator count, the page of notices,
    # categories, departments, audience roles, unread notifications
    with django_assert_num_queries(10):
        response = client.get("/notices/")
    assert len(response.context["page"].object_list) == n
