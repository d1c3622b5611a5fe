"""Attachments: the size limit, the real type sniffed from the bytes (never the client's claim), and downloads
that only the ticket's readers get, always as a file and never rendered by the browser."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from servicedesk.errors import ValidationFailed
from tickets import services
from tickets.models import Attachment, TicketEvent
from tickets.uploads import UploadTooLarge, clean_filename, inspect_upload

TICKETS = "/api/v1/tickets/"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path}},
    }
    settings.MEDIA_ROOT = tmp_path


# --- inspect_upload ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screen.png", PNG, "image/png"),
        ("manual.pdf", PDF, "application/pdf"),
        ("report.docx", _docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("notes.txt", "打印机卡纸 paper jam\n".encode(), "text/plain"),
        ("export.csv", b"id,name\n1,bob\n", "text/csv"),
        ("gbk.log", "服务器连接超时\n".encode("gb18030"), "text/plain"),
    ],
)
def test_accepted_files_get_their_sniffed_type(name, content, content_type):
    assert inspect_upload(_upload(name, content, "text/html"), max_bytes=10_000) == (name, content_type)


@pytest.mark.parametrize("offset", range(0, 12))
def test_a_long_utf8_chinese_log_is_plain_text_wherever_the_sniffed_head_ends(offset):
    line = "2026-01-05 10:00:00 服务器连接超时 error=42\n".encode()
    content = (b"x" * offset) + line * 400  # well past the 8 KiB head, cut at every byte alignment

    assert inspect_upload(_upload("server.log", content), max_bytes=10**6) == ("server.log", "text/plain")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", HTML),
        ("page.txt", HTML),
        ("page.txt", b"\xef\xbb\xbf" + HTML),
        ("page.txt", b"   <html><body>hi</body></html>"),
        ("logo.svg", SVG),
        ("logo.txt", SVG),
        ("setup.exe", EXE),
        ("setup.png", EXE),
        ("screen.exe", PNG),
        ("fake.pdf", b"just text pretending"),
        ("binary.txt", b"\x00\x01\x02\x03"),
        ("noext", PNG),
    ],
)
def test_markup_executables_and_mismatched_names_are_refused(name, content):
    with pytest.raises(ValidationFailed) as exc:
        inspect_upload(_upload(name, content, "image/png"), max_bytes=10_000)

    assert set(exc.value.errors) == {"file"}


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        inspect_upload(_upload("empty.txt", b""), max_bytes=10_000)

    assert set(exc.value.errors) == {"file"}


def test_a_file_over_the_limit_is_too_large():
    with pytest.raises(UploadTooLarge) as exc:
        inspect_upload(_upload("big.txt", b"a" * 1025), max_bytes=1024)

    assert exc.value.status_code == 413


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\bob\\photo.PNG", "photo.png"),
        ("..hidden.txt", "hidden.txt"),
        ("bad\x00name\x1b.txt", "badname.txt"),
        ("", "file"),
        ("报告.pdf", "报告.pdf"),
    ],
)
def test_file_names_lose_paths_and_control_characters(raw, clean):
    assert clean_filename(raw) == clean


def test_a_very_long_file_name_fits_the_column():
    assert len(clean_filename("x" * 500 + ".pdf")) <= 200
    assert len(clean_filename("x." + "y" * 500)) <= 200


# --- the API ----------------------------------------------------------------------------------------


def _post(client, ticket, name: str, content: bytes, **extra):
    return client.post(
        f"{TICKETS}{ticket.number}/attachments/",
        {"file": _upload(name, content), **extra},
        format="multipart",
    )


def test_an_upload_answers_201_with_id_name_size_type_and_url(as_user, bob, bob_ticket):
    r = _post(as_user(bob), bob_ticket, "screen.png", PNG)

    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) >= {"id", "name", "size", "content_type", "url"}
    assert body["name"] == "screen.png"
    assert body["size"] == len(PNG)
    assert body["content_type"] == "image/png"
    assert body["url"].endswith(f"/api/v1/attachments/{body['id']}/download/")
    event = bob_ticket.events.get(kind=TicketEvent.Kind.ATTACHMENT_ADDED)
    assert event.data["attachment"] == body["id"]


def test_the_url_downloads_the_bytes_as_an_attachment_that_is_never_sniffed(as_user, bob, bob_ticket):
    client = as_user(bob)
    url = _post(client, bob_ticket, "notes.txt", "打印机卡纸\n".encode()).json()["url"]

    r = client.get(url)

    assert r.status_code == 200
    assert b"".join(r.streaming_content) == "打印机卡纸\n".encode()
    assert r["Content-Disposition"].startswith("attachment")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Type"].startswith("text/plain")


def test_the_list_shows_the_tickets_attachments(as_user, alice, bob, bob_ticket):
    _post(as_user(bob), bob_ticket, "a.png", PNG)
    _post(as_user(alice), bob_ticket, "b.pdf", PDF)

    listed = as_user(bob).get(f"{TICKETS}{bob_ticket.number}/attachments/")

    assert listed.status_code == 200
    assert [a["name"] for a in listed.json()] == ["a.png", "b.pdf"]
    assert all(set(a) >= {"id", "name", "size", "content_type", "url"} for a in listed.json())


def test_a_file_over_the_limit_is_a_413(as_user, bob, bob_ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024

    r = _post(as_user(bob), bob_ticket, "big.txt", b"a" * 2048)

    assert r.status_code == 413
    assert "detail" in r.json()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"), [("page.html", HTML), ("logo.svg", SVG), ("setup.exe", EXE), ("page.txt", HTML)]
)
def test_html_svg_and_executables_are_a_400(as_user, bob, bob_ticket, name, content):
    r = _post(as_user(bob), bob_ticket, name, content)

    assert r.status_code == 400
    assert "file" in r.json()
    assert not Attachment.objects.exists()


def test_an_upload_without_a_file_is_a_400(as_user, bob, bob_ticket):
    r = as_user(bob).post(f"{TICKETS}{bob_ticket.number}/attachments/", {}, format="multipart")

    assert r.status_code == 400
    assert "file" in r.json()


def test_carol_can_neither_list_nor_download_nor_add_to_bobs_attachments(as_user, bob, carol, bob_ticket):
    url = _post(as_user(bob), bob_ticket, "screen.png", PNG).json()["url"]
    client = as_user(carol)

    assert client.get(f"{TICKETS}{bob_ticket.number}/attachments/").status_code == 404
    assert client.get(url).status_code == 404
    assert _post(client, bob_ticket, "mine.png", PNG).status_code == 404
    assert Attachment.objects.count() == 1


def test_an_unknown_attachment_is_the_same_404(as_user, carol, db):
    assert as_user(carol).get("/api/v1/attachments/999999/download/").status_code == 404


def test_downloads_need_credentials(api, as_user, bob, bob_ticket):
    url = _post(as_user(bob), bob_ticket, "screen.png", PNG).json()["url"]
    api.force_authenticate(None)

    assert api.get(url).status_code == 401


def test_internal_attachments_are_hidden_from_the_requester(as_user, alice, bob, bob_ticket):
    url = _post(as_user(alice), bob_ticket, "diagnostics.txt", b"internal dump\n", internal=True).json()["url"]

    assert as_user(bob).get(f"{TICKETS}{bob_ticket.number}/attachments/").json() == []
    assert as_user(bob).get(url).status_code == 404
    assert as_user(alice).get(url).status_code == 200


def test_an_end_user_cannot_add_an_internal_attachment(as_user, bob, bob_ticket):
    r = _post(as_user(bob), bob_ticket, "x.png", PNG, internal=True)

    assert r.status_code == 403
    assert not Attachment.objects.exists()


def test_the_stored_file_name_is_not_the_users(alice, bob_ticket):
    attachment = services.attachment_add(ticket=bob_ticket, actor=alice, upload=_upload("../../evil.png", PNG))

    assert attachment.name == "evil.png"
    assert "evil" not in attachment.file.name
    assert attachment.file.name.startswith(f"attachments/{bob_ticket.pk}/")
