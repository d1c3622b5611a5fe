"""`python manage.py load_kb_demo`: a handful of bilingual, published help articles for the demo desk.

Idempotent: an article whose title exists is left alone, so a second run changes nothing. Every article goes
through the review workflow services (written by a desk agent, approved and published by the supervisor), and
the search documents of all articles and recent tickets are rebuilt at the end (covering articles the general
demo wrote directly). Run it after `load_demo` (it uses that command's agent and supervisor when present)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from knowledge import services
from knowledge.models import Article
from servicedesk.models import Category, Role, User

ARTICLES = (
    (
        "打印机卡纸怎么办 / Clearing a printer paper jam",
        "关机，打开前盖，顺着走纸方向取出纸张。Switch off, open the cover, pull the sheet out gently.",
        "## 步骤\n\n1. 关闭打印机电源。\n2. 打开前盖和后盖，顺着走纸方向慢慢取出卡住的纸。\n"
        "3. 检查纸盒，纸张不要超过刻度线。\n\n"
        "## Steps\n\n1. Switch the printer off.\n2. Open the front and rear covers and pull the jammed sheet out "
        "in the direction of the paper path.\n3. Do not fill the tray above the line.",
        "打印机, printer",
        "打印机 Printer",
        "public",
    ),
    (
        "忘记密码：自助重置域账号密码 / Forgot your password? Reset it yourself",
        "在自助门户用手机验证码重置。Reset it on the self-service portal with the SMS code.",
        "忘记密码或密码过期时：打开自助门户，输入工号，用手机验证码重置。新密码至少 12 位，不能与前 5 次相同。\n\n"
        "Open the self-service portal, enter your staff number and confirm with the code sent to your phone. "
        "New passwords need 12 characters and must differ from your last five.",
        "密码, password, 账号",
        "密码重置 Password reset",
        "public",
    ),
    (
        "无线网络连不上 / Wi-Fi will not connect",
        "选择 CORP-WIFI，用域账号登录。Choose CORP-WIFI and sign in with your domain account.",
        "公司无线网络为 **CORP-WIFI**，使用域账号登录；访客请连接 GUEST 并在前台领取验证码。\n\n"
        "If it still fails, forget the network and join again; check that your password has not expired.",
        "Wi-Fi, 无线网",
        "Wi-Fi",
        "public",
    ),
    (
        "Outlook 收不到邮件 / Outlook is not receiving email",
        "关闭脱机工作并重启 Outlook。Turn off Work Offline and restart Outlook.",
        "1. 检查 Outlook 底部状态栏是否显示“脱机工作”。\n2. 邮箱已满时归档旧邮件。\n3. 仍不行请重建配置文件。\n\n"
        "Check the status bar for Working Offline, archive old mail if the mailbox is full, rebuild the profile last.",
        "邮件, email, Outlook",
        "邮件 Email",
        "public",
    ),
    (
        "笔记本开不了机 / Laptop will not power on",
        "接上电源，长按电源键 15 秒后再开机。Connect power and hold the power button for 15 seconds.",
        "按电源键没有反应时：接上原装电源适配器，长按电源键 15 秒释放静电，再正常开机。"
        "仍无反应请带到服务台检测。\n\nStill nothing? Bring it to the service desk for a check.",
        "笔记本, laptop",
        "笔记本 Laptop",
        "public",
    ),
    (
        "ERP 会话过期的处理（服务台内部） / ERP session expired — desk procedure",
        "清除浏览器缓存；仍报错时在管理后台结束用户会话。",
        "仅限服务台：用户登录 ERP 报“会话过期”时，先让用户清除缓存；仍不行在 ERP 管理后台结束该用户的旧会话。\n\n"
        "Desk only: if clearing the cache does not help, end the user's stale session in the ERP admin console.",
        "ERP, 内部",
        "ERP",
        "internal",
    ),
)


class Command(BaseCommand):
    help = "Load bilingual demo help articles (idempotent) and rebuild the search documents."

    def handle(self, *args, **options) -> None:
        author = self._person(Role.AGENT, "kb-demo-author")
        reviewer = self._person(Role.SUPERVISOR, "kb-demo-reviewer")
        created = 0
        for title, summary, body, tags, category_name, audience in ARTICLES:
            if Article.objects.filter(title=title).exists():
                continue
            category = Category.objects.filter(name=category_name).first()
            with transaction.atomic():
                article = services.article_create(
                    actor=author,
                    title=title,
                    summary=summary,
                    body=body,
                    tags=tags,
                    category=category,
                    audience=audience,
                )
                services.article_submit(article=article, actor=author)
                services.article_approve(article=article, actor=reviewer)
                services.article_publish(article=article, actor=reviewer)
            created += 1
        for article in Article.objects.filter(search_vector__isnull=True).select_related("category__parent"):
            services.article_reindex(article)
        n = services.tickets_reindex(since=timezone.now() - timedelta(days=30))
        self.stdout.write(f"Knowledge articles: {created} created, {len(ARTICLES) - created} already there")
        self.stdout.write(f"Search documents rebuilt for {n} recent tickets")

    def _person(self, role: str, fallback: str) -> User:
        user = User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()
        if user is not None:
            return user
        from servicedesk import services as people

        return User.objects.filter(username=fallback).first() or people.user_create(
            actor=None, username=fallback, password=None, roles=[role]
        )
