"""The Simplified Chinese catalogue is complete, and pages and API errors come back in Chinese when asked.

`make test` compiles the catalogues first (`make messages`); without a compiled zh_Hans catalogue the rendering
tests are skipped, the completeness check only needs msgfmt (gettext).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"
ZH = LOCALE / "zh_Hans" / "LC_MESSAGES"
CATALOGUES = sorted(ZH.glob("*.po"))
COMPILED = (ZH / "django.mo").exists()
needs_compiled = pytest.mark.skipif(
    not COMPILED, reason="locale/zh_Hans/LC_MESSAGES/django.mo is not compiled: run `make messages` (make test does)"
)
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_zh_hans_catalogue_exists():
    assert ZH / "django.po" in CATALOGUES


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed")
@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.name)
def test_every_zh_hans_entry_is_translated_and_checked(po):
    """msgfmt -c checks the header and that every msgstr keeps the msgid's placeholders; --statistics counts
    what is left: run `make translations`, translate the new entries, then this passes again."""
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        ["msgfmt", "-c", "--statistics", "-o", "/dev/null", str(po)],  # noqa: S607 - gettext from PATH
        capture_output=True,
        text=True,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "untranslated" not in report, report
    assert "fuzzy" not in report, report


def test_the_zh_hans_header_declares_language_plurals_and_charset():
    header = (ZH / "django.po").read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Language: zh_Hans\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert "charset=UTF-8" in header
    assert "#, fuzzy" not in header


@needs_compiled
@pytest.mark.django_db
def test_the_login_page_speaks_chinese_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("login")).content.decode()

    assert '<html lang="zh-hans">' in page
    assert "<title>登录 · IT 服务台</title>" in page
    assert "用户名" in page and "密码" in page
    assert "无需登录查询工单状态" in page


@needs_compiled
@pytest.mark.django_db
def test_the_login_page_follows_accept_language(client):
    chinese = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").content.decode()
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<title>登录 · IT 服务台</title>" in chinese
    assert "<title>Sign in · IT Service Desk</title>" in english
    assert not HAN.search(english.replace("简体中文", ""))


@needs_compiled
def test_the_agent_queue_speaks_chinese(client, alice, bob_ticket):
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("tickets:queue")).content.decode()

    for text in ("工单队列", "登记报障", "回访", "优先级", "报障人", "退出", bob_ticket.number):
        assert text in page, text
    assert "Queues" not in page and "Log out" not in page


@needs_compiled
@pytest.mark.django_db
def test_api_errors_come_back_in_chinese(api, alice):
    """Our own messages come from locale/ (a field error and a non-field error of the token endpoint)."""
    token = "/api/v1/auth/token/"
    english = api.post(token, {"username": "alice"}, format="json")
    chinese = api.post(token, {"username": "alice"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    wrong = api.post(token, {"username": "alice", "password": "nope"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == chinese.status_code == wrong.status_code == 400
    assert english.json() == {"password": ["This field is required."]}
    assert chinese.json() == {"password": ["该字段是必填项。"]}
    assert wrong.json() == {"non_field_errors": ["用户名或密码不正确，无法登录。"]}


@needs_compiled
def test_a_serializer_field_error_stays_chinese_next_to_ours(as_user, alice, bob):
    """Our catalogue comes first on the lookup path: DRF's own messages must still be translated by DRF."""
    payload = {
        "type": "incident",
        "title": "打印机卡纸",
        "channel": "phone",
        "requester": bob.pk,
        "impact": 7,
        "urgency": 3,
    }
    r = as_user(alice).post("/api/v1/tickets/", payload, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert r.status_code == 400
    assert r.json() == {"impact": ["“7” 不是合法选项。"]}
