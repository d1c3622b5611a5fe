"""The review workflow through the services and the API: legal steps, illegal steps (409), the four-eyes rule
(the author approving their own article is an illegal step: 409), who may write (staff only: 403)."""

from __future__ import annotations

import pytest

from knowledge import services
from knowledge.models import Article, ArticleVersion
from servicedesk.errors import InvalidTransition, NotAllowed
from servicedesk.models import AuditEvent

S = Article.Status


def test_full_workflow_records_reviewer_timestamps_version_and_audit(alice, sam):
    article = services.article_create(actor=alice, title="VPN", body="Steps")
    assert article.status == S.DRAFT
    article = services.article_submit(article=article, actor=alice)
    assert article.status == S.IN_REVIEW and article.submitted_at
    article = services.article_approve(article=article, actor=sam)
    assert (article.status, article.reviewer, article.last_reviewed_at is not None) == (S.APPROVED, sam, True)
    article = services.article_publish(article=article, actor=alice)
    assert article.status == S.PUBLISHED and article.published_at and article.version == 1
    assert ArticleVersion.objects.filter(article=article, number=1, body="Steps").exists()
    article = services.article_archive(article=article, actor=sam)
    assert article.status == S.ARCHIVED
    kinds = list(AuditEvent.objects.filter(object_type="knowledge.article").values_list("kind", flat=True))
    assert kinds == [
        "article_created",
        "article_submitted",
        "article_approved",
        "article_published",
        "article_archived",
    ]


def test_author_cannot_approve_their_own_article(alice):
    article = services.article_submit(article=services.article_create(actor=alice, title="T", body="B"), actor=alice)
    with pytest.raises(InvalidTransition):
        services.article_approve(article=article, actor=alice)
    article.refresh_from_db()
    assert article.status == S.IN_REVIEW


@pytest.mark.parametrize(
    ("status", "step"),
    [
        ("draft", "approve"),
        ("draft", "publish"),
        ("in_review", "publish"),
        ("in_review", "submit"),
        ("approved", "submit"),
        ("published", "approve"),
        ("published", "publish"),
        ("archived", "archive"),
        ("archived", "publish"),
    ],
)
def test_illegal_steps_are_refused_and_change_nothing(make_article, tom, status, step):
    article = make_article(status=status)
    service = getattr(services, f"article_{step}")
    with pytest.raises(InvalidTransition):
        service(article=article, actor=tom)
    assert Article.objects.get(pk=article.pk).status == status


def test_end_users_take_no_step(make_article, bob):
    with pytest.raises(NotAllowed):
        services.article_create(actor=bob, title="Mine", body="x")
    article = make_article(status="published")
    with pytest.raises(NotAllowed):
        services.article_archive(article=article, actor=bob)


def test_reject_sends_back_to_draft(make_article, sam):
    article = make_article(status="in_review")
    article = services.article_reject(article=article, actor=sam, reason="Add screenshots")
    assert article.status == S.DRAFT


def test_submitting_an_empty_article_is_a_field_error(alice):
    from servicedesk.errors import ValidationFailed

    article = services.article_create(actor=alice, title="Empty")
    with pytest.raises(ValidationFailed) as exc:
        services.article_submit(article=article, actor=alice)
    assert "body" in exc.value.errors


# --- API ----------------------------------------------------------------------------------------------------


def test_api_create_then_review_steps(as_user, alice, sam, hardware):
    api = as_user(alice)
    r = api.post(
        "/api/v1/kb/articles/",
        {"title": "打印机卡纸", "body": "# 步骤\n打开前盖", "category": hardware.pk, "audience": "public"},
        format="json",
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["status"] == "draft" and isinstance(data["id"], int)
    pk = data["id"]
    assert api.post(f"/api/v1/kb/articles/{pk}/submit/").json()["status"] == "in_review"
    assert api.post(f"/api/v1/kb/articles/{pk}/approve/").status_code == 409  # the author
    api = as_user(sam)
    assert api.post(f"/api/v1/kb/articles/{pk}/approve/").json()["status"] == "approved"
    assert api.post(f"/api/v1/kb/articles/{pk}/publish/").json()["status"] == "published"
    assert api.post(f"/api/v1/kb/articles/{pk}/publish/").status_code == 409
    assert api.post(f"/api/v1/kb/articles/{pk}/archive/").json()["status"] == "archived"


def test_api_illegal_step_is_409_with_detail(as_user, make_article, sam):
    article = make_article(status="draft")
    r = as_user(sam).post(f"/api/v1/kb/articles/{article.pk}/publish/")
    assert r.status_code == 409 and "detail" in r.json()


def test_api_create_validation_and_permissions(as_user, api, alice, bob):
    r = as_user(alice).post("/api/v1/kb/articles/", {"title": "", "audience": "secret"}, format="json")
    assert r.status_code == 400 and {"title", "audience"} <= set(r.json())
    assert as_user(bob).post("/api/v1/kb/articles/", {"title": "x", "body": "y"}, format="json").status_code == 403
    api.force_authenticate(None)
    assert api.post("/api/v1/kb/articles/", {"title": "x"}, format="json").status_code == 401


def test_api_edit_published_creates_version_and_restore(as_user, make_article, alice):
    article = make_article(status="published", body="Old text")
    api = as_user(alice)
    r = api.patch(f"/api/v1/kb/articles/{article.pk}/", {"body": "New text", "note": "typo"}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 2
    versions = api.get(f"/api/v1/kb/articles/{article.pk}/versions/").json()
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["note"] == "typo"
    r = api.post(f"/api/v1/kb/articles/{article.pk}/restore/", {"version": 1}, format="json")
    assert r.status_code == 200 and r.json()["body"] == "Old text" and r.json()["version"] == 3


def test_editing_an_archived_article_is_409(as_user, make_article, alice):
    article = make_article(status="archived")
    r = as_user(alice).patch(f"/api/v1/kb/articles/{article.pk}/", {"title": "x"}, format="json")
    assert r.status_code == 409


def test_api_tags_as_a_list_or_a_string_and_at_most_ten(as_user, alice):
    api = as_user(alice)
    r = api.post("/api/v1/kb/articles/", {"title": "A", "body": "b", "tags": ["VPN", "vpn", "远程"]}, format="json")
    assert r.status_code == 201 and r.json()["tags"] == ["VPN", "远程"]
    r = api.post("/api/v1/kb/articles/", {"title": "B", "body": "b", "tags": "wifi，无线网, "}, format="json")
    assert r.status_code == 201 and sorted(r.json()["tags"]) == ["wifi", "无线网"]
    r = api.post("/api/v1/kb/articles/", {"title": "C", "tags": [f"t{i}" for i in range(11)]}, format="json")
    assert r.status_code == 400 and "tags" in r.json()
