"""Article images and files: uploaded by staff (type sniffed), served only to those who may read the article."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.models import ArticleAttachment
from knowledge.rendering import render_markdown

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }


def test_staff_uploads_an_image_that_readers_see_inline(client, alice, bob, make_article):
    article = make_article()
    client.force_login(alice)
    client.post(f"/kb/articles/{article.pk}/upload/", {"file": SimpleUploadedFile("screen.png", PNG, "image/png")})
    item = ArticleAttachment.objects.get(article=article)
    client.force_login(bob)
    r = client.get(f"/kb/attachments/{item.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert r["X-Content-Type-Options"] == "nosniff" and "attachment" not in r.get("Content-Disposition", "")
    assert f'src="/kb/attachments/{item.pk}/"' in str(render_markdown(f"![shot](/kb/attachments/{item.pk}/)"))


def test_markup_uploads_are_refused(client, alice, make_article):
    article = make_article()
    client.force_login(alice)
    client.post(
        f"/kb/articles/{article.pk}/upload/",
        {"file": SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>", "image/svg+xml")},
    )
    assert not ArticleAttachment.objects.exists()


def test_attachment_of_an_internal_article_is_not_found_for_end_users(client, alice, bob, make_article):
    article = make_article(audience="internal")
    client.force_login(alice)
    client.post(f"/kb/articles/{article.pk}/upload/", {"file": SimpleUploadedFile("s.png", PNG, "image/png")})
    item = ArticleAttachment.objects.get(article=article)
    client.force_login(bob)
    assert client.get(f"/kb/attachments/{item.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/kb/attachments/{item.pk}/").status_code == 404
