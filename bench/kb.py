"""Knowledge benchmark: search over 100,000 articles and intake suggestions over 1,000,000 tickets.

Targets (issue 6): search p95 < 50 ms; intake suggestions (articles + similar open tickets) p95 < 100 ms.

    .venv/bin/python bench/kb.py [--articles 100000] [--tickets 1000000] [--queries 300]

Runs on its own database (servicedesk_bench_kb), seeded set-based and topped up (a second run reuses the data).
Articles are generated bilingual text over a Zipf-distributed vocabulary (IT words, Chinese and English, plus
generated filler words, so common and rare words behave as in real text). Their search vectors are built by
the same SQL the services use, from the generated words (the words are already what jieba would produce: the
benchmark measures the database side of search, which is what grows with the corpus). Figures are measured
in-process through the selectors the pages and the API call, and through the API itself (DRF, JSON)."""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "servicedesk_bench_kb"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("REDIS_URL", "")

_IT_ZH_TEXT = (
    "打印机 卡纸 蓝屏 死机 黑屏 开机 密码 账号 域账号 重置 锁定 邮箱 邮件 附件 网络 无线网 内网 外网 断网 "
    "网速 共享盘 权限 申请 安装 软件 驱动 更新 升级 证书 过期 登录 报错 失败 无法 连接 超时 服务器 系统 "
    "电脑 笔记本 显示器 投影仪 键盘 鼠标 耳机 声音 会议 视频 摄像头 电池 充电 病毒 杀毒 钓鱼 安全 备份 恢复 "
    "文件 删除 报销 考勤 打卡 审批 流程 合同 客户 数据 同步 导出 导入 报表 财务 发票 工资 入职 离职 电话 "
    "座机 手机 企业微信 钉钉 浏览器 缓存 插件 激活 许可 扫描仪 复印机 额度 远程 桌面 加密 硬盘 内存 风扇 "
    "过热 "
)
IT_ZH = _IT_ZH_TEXT.split()
_IT_EN_TEXT = (
    "printer jam paper blue screen crash boot password account "
    "reset lock mail mailbox attach network wifi vpn internet "
    "slow share drive permission access request install software "
    "driver update upgrade cert expir login error fail connect "
    "timeout server system laptop monitor projector keyboard "
    "mouse headset audio meet video camera battery charg virus "
    "malware phish secur backup restor file delet expens attend "
    "approv workflow contract customer data sync export import "
    "report financ invoic payrol onboard phone mobil browser cach "
    "plugin activ licens scanner copier quota remot desktop "
    "encrypt disk memory fan "
)
IT_EN = _IT_EN_TEXT.split()


def ensure_database() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


_EN_FILLER_TEXT = (
    "the to and of a in is it you that for on with as are be this can your if or from at not have by will when "
    "please check then open click use need make sure after before new all again still only one more some other "
    "first also into out up any each time user page step window menu button setting option list name number "
    "select enter close start stop run show find see get help team office floor room work day week month"
)
EN_FILLER = _EN_FILLER_TEXT.split()


class Vocabulary:
    """Article text as a desk writes it: a topic (a few IT words, repeated) in ordinary language. Chinese filler
    comes from jieba's dictionary with its real word frequencies (Zipf-like), English filler from common words."""

    def __init__(self, rng: random.Random) -> None:
        from knowledge import search

        jieba = search._segmenter()
        top = sorted(((f, w) for w, f in jieba.dt.FREQ.items() if f > 0 and len(w) >= 2), reverse=True)[:20_000]
        self.zh = [w for _f, w in top]
        self.zh_weights = [f for f, _w in top]
        self.rng = rng

    def topic(self) -> list[str]:
        return self.rng.sample(IT_ZH, 2) + self.rng.sample(IT_EN, 1) + [self.rng.choice(IT_ZH + IT_EN)]

    def body(self, topic: list[str]) -> list[str]:
        words = topic * self.rng.randint(2, 3) + self.rng.sample(IT_ZH + IT_EN, self.rng.randint(2, 4))
        words += self.rng.choices(self.zh, weights=self.zh_weights, k=self.rng.randint(40, 90))
        words += self.rng.choices(EN_FILLER, k=self.rng.randint(20, 50))
        self.rng.shuffle(words)
        return words


def _display(words: list[str]) -> str:
    """Chinese words run together, English words spaced, as people write."""
    out = ""
    for w in words:
        if out and (w.isascii() or out[-1].isascii()):
            out += " "
        out += w
    return out


def seed_articles(n: int, rng: random.Random) -> float:
    from django.db import connection

    from knowledge import search
    from knowledge.models import Article
    from servicedesk.models import User

    have = Article.objects.count()
    if have >= n:
        return 0.0
    started = time.perf_counter()
    author, _ = User.objects.get_or_create(username="bench-author", defaults={"display_name": "Bench"})
    vocab = Vocabulary(rng)
    buf = io.StringIO()
    for i in range(have, n):
        title_words = [*vocab.topic(), rng.choice(vocab.zh[:3000])]
        body_words = vocab.body(title_words[:4])
        audience = "internal" if i % 5 == 0 else "public"
        row = [
            _display(title_words)[:200],
            _display(body_words),
            " ".join(search.stem(w) for w in title_words),
            " ".join(search.stem(w) for w in body_words),
            audience,
        ]
        buf.write("\t".join(x.replace("\t", " ").replace("\n", " ").replace("\\", " ") for x in row) + "\n")
    buf.seek(0)
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE kb_stage (title text, body text, a text, b text, audience text) ON COMMIT DROP")
        cur.copy_expert("COPY kb_stage FROM STDIN", buf)
        cur.execute(
            """
            INSERT INTO knowledge_article (title, summary, body, audience, status, author_id, created_at, updated_at,
                published_at, last_reviewed_at, version, view_count, helpful_yes, helpful_no, deflection_count,
                search_vector)
            SELECT title, '', body, audience, 'published', %s, now(), now(),
                now() - random() * interval '700 days', now() - random() * interval '300 days', 1, 0, 0, 0, 0,
                setweight(to_tsvector('simple', a), 'A') || setweight(to_tsvector('simple', b), 'B')
            FROM kb_stage
            """,
            [author.pk],
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) knowledge_article")  # after a --reseed, drop the dead rows too
    return time.perf_counter() - started


def seed_tickets(n: int, rng: random.Random) -> float:
    """Set-based: n tickets over three years, ~2% open (mostly recent), each with its search document."""
    from django.db import connection

    from servicedesk.models import Category, User
    from tickets.models import Ticket

    have = Ticket.objects.count()
    if have >= n:
        return 0.0
    started = time.perf_counter()
    requester, _ = User.objects.get_or_create(username="bench-requester", defaults={"display_name": "Bench"})
    cats = []
    for name in ("网络 Network", "硬件 Hardware", "软件 Software", "账号 Accounts", "业务系统 Business"):
        cat = Category.objects.filter(name=name, parent=None).first() or Category.objects.create(name=name)
        cats.append(cat.pk)
    words = IT_ZH + IT_EN
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO tickets_ticket (number, type, title, description, channel, requester_id, contact_email,
                contact_phone, scope, impact, urgency, priority, is_vip, status, first_contact_resolution,
                resolution, pending_reason, reopen_count, version, created_at, updated_at, category_id)
            SELECT 'KB-' || g, 'incident', w[1] || ' ' || w[2] || ' ' || w[3] || ' ' || w[4],
                w[2] || ' ' || w[5] || ' ' || w[6], 'api', %(req)s, '', '', '', 3, 3, 4, false,
                CASE WHEN r < 0.02 THEN 'new' ELSE 'closed' END, false, '', '', 0, 1,
                CASE WHEN r < 0.02 THEN now() - random() * interval '30 days'
                     ELSE now() - random() * interval '1095 days' END,
                now(), (%(cats)s::bigint[])[1 + (g %% 5)]
            FROM (
                SELECT g, r, w FROM (SELECT g, random() AS r, ARRAY(
                    SELECT (%(words)s::text[])[1 + floor(random() * %(nw)s)::int] FROM generate_series(1, 6) k
                    WHERE g > 0
                ) AS w
                FROM generate_series(%(lo)s, %(hi)s) AS g) x
            ) s
            ORDER BY 20
            """,
            {"req": requester.pk, "cats": cats, "words": words, "nw": len(words), "lo": have + 1, "hi": n},
        )
        cur.execute(
            """
            INSERT INTO knowledge_ticketsearch (ticket_id, created_at, document)
            SELECT id, created_at,
                setweight(to_tsvector('simple', lower(title)), 'A')
                || setweight(to_tsvector('simple', lower(description)), 'B')
            FROM tickets_ticket t WHERE NOT EXISTS (SELECT 1 FROM knowledge_ticketsearch s WHERE s.ticket_id = t.id)
            """
        )
        cur.execute("ANALYZE tickets_ticket; ANALYZE knowledge_ticketsearch;")
    return time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def summary(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(pct(ms, 95), 2),
        "p99_ms": round(pct(ms, 99), 2),
        "max_ms": round(max(ms), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--reseed", action="store_true", help="empty the benchmark's articles and tickets first")
    parser.add_argument("--reseed-articles", action="store_true", help="empty the benchmark's articles first")
    parser.add_argument(
        "--priority",
        action="store_true",
        help="on a shared machine: raise this process's and its database backend's CPU priority (needs root)",
    )
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from rest_framework.test import APIClient

    from knowledge import search, selectors
    from knowledge.models import Article
    from servicedesk import services as people
    from servicedesk.models import Role, User
    from tickets.models import Ticket

    call_command("migrate", verbosity=0)
    if args.reseed:
        with connection.cursor() as cur:
            cur.execute("TRUNCATE knowledge_article, tickets_ticket CASCADE")
    elif args.reseed_articles:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM knowledge_article")  # tickets keep theirs: none of them references one
    rng = random.Random(2026)
    t = seed_articles(args.articles, rng)
    if t:
        print(f"seeded {args.articles:,} articles in {t:.1f} s")
    t = seed_tickets(args.tickets, rng)
    if t:
        print(f"seeded {args.tickets:,} tickets (+ search documents) in {t:.1f} s")

    agent = User.objects.filter(username="bench-agent").first() or people.user_create(
        actor=None, username="bench-agent", password=None, roles=[Role.AGENT]
    )
    agent = User.objects.get(pk=agent.pk)
    end_user = User.objects.filter(username="bench-requester").first()
    search._segmenter()  # jieba loads once per process, at start-up in a real worker

    # Queries: 1-3 words from a random article's title, Chinese and English as people type them.
    titles = list(Article.objects.order_by("?").values_list("title", flat=True)[: args.queries])
    queries = []
    for title in titles:
        words = title.replace(" ", " ").split()
        tokens = search.tokens(title, search_mode=False)
        k = rng.randint(1, min(3, len(tokens)))
        queries.append(" ".join(rng.sample(tokens, k)) if rng.random() < 0.7 else " ".join(words[:1]))
    queries += ["pritner", "pasword reset", "", "?!。", "x" * 10_000]  # typo fallback and odd input

    if args.priority:
        # Other suites running on the same small machine would otherwise dominate the figures; the load average
        # is recorded either way.
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backend = cur.fetchone()[0]
        try:
            os.setpriority(os.PRIO_PROCESS, 0, -10)
            os.setpriority(os.PRIO_PROCESS, backend, -10)
        except PermissionError:
            print("--priority needs root; measuring at normal priority")
    for q in queries:  # warm the caches, as a running server would be
        selectors.load_hits(selectors.article_search(agent, q).ids[:25], [])

    def timed(fn) -> list[float]:
        out = []
        for q in queries:
            started = time.perf_counter()
            fn(q)
            out.append(time.perf_counter() - started)
        return out

    def search_core(q: str) -> None:
        result = selectors.article_search(end_user, q)
        selectors.load_hits(result.ids[:25], result.terms)

    api = APIClient()
    api.force_authenticate(end_user)

    def search_api(q: str) -> None:
        r = api.get("/api/v1/kb/articles/", {"q": q})
        assert r.status_code == 200, r.status_code

    def suggestions(q: str) -> None:
        selectors.intake_suggestions(agent, title=q, description="")

    from datetime import timedelta

    from django.utils import timezone

    results: dict = {
        "articles": Article.objects.count(),
        "tickets": Ticket.objects.count(),
        "open_tickets_last_7_days": Ticket.objects.filter(
            status__in=Ticket.OPEN_STATUSES, created_at__gte=timezone.now() - timedelta(days=7)
        ).count(),
        "queries": len(queries),
        "targets_ms": {"search_p95": 50, "intake_suggestions_p95": 100},
        # Other work on the machine skews the figures: record how busy it was (2 cores on the dev machine).
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "raised_priority": bool(args.priority),
    }
    for name, fn in (("search_selector", search_core), ("intake_suggestions", suggestions), ("search_api", search_api)):
        try:
            r = results[name] = summary(timed(fn))
        except Exception as exc:  # e.g. a URLconf broken by unrelated work in progress: keep the other figures
            results[name] = {"error": repr(exc)[:300]}
            print(f"{name:20s} failed: {exc!r}"[:300])
            continue
        print(
            f"{name:20s} n={r['n']:4d}  p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  max {r['max_ms']:7.2f} ms"
        )
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"load average before {results['load_average_before']}, after {results['load_average_after']}")
    reset_queries()
    connection.close()
    print(f"over {results['articles']:,} articles and {results['tickets']:,} tickets")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "kb.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
