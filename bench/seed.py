"""Seed a large service desk into its own PostgreSQL database, set-based (INSERT … SELECT generate_series).

    .venv/bin/python bench/seed.py [--tickets 1000000]

The people (requesters, technicians in groups, desk agents), departments and categories are made once; tickets
are topped up to --tickets, so a second run with the same N does nothing. Distributions: ~2% of tickets open
(new / assigned / in_progress / pending, mostly from the last month), the rest resolved / closed / cancelled;
created over three years; numbers like INC-2024-000001 from the same serial space as ticket_number_seq,
which is moved past the highest serial afterwards. Every ticket gets its audit events (created, assigned,
status changes) and one ticket in five a public reply, so the ticket page reads realistic timelines.

Run it through bench/run.py (which points DATABASE_URL at servicedesk_bench) or on its own: it sets the
same default. Never point it at a database you care about: it adds a million rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/servicedesk_bench"

# Everyone the seed makes shares this password (hashed once: hashing 2,000 passwords would take minutes).
PASSWORD = "bench-password-2024"
N_REQUESTERS = 2000
N_DEPARTMENTS = 20
N_AGENTS = 5
GROUPS = ["Desktop support", "Network", "Servers", "Business applications", "Field service", "Security"]
TECHS_PER_GROUP = 5
CATEGORIES = {
    "Desktop support": ["PC and laptop", "Printer", "Peripherals", "Software install"],
    "Network": ["Wi-Fi", "VPN", "Wired network", "Internet access"],
    "Servers": ["File share", "Backup", "Virtual machines", "Storage"],
    "Business applications": ["ERP", "Email", "Office suite", "HR system"],
    "Field service": ["Meeting room AV", "Phones", "Onsite move", "Cabling"],
    "Security": ["Account and password", "Access rights", "Phishing", "Malware"],
}
DEPARTMENTS = [
    "Finance",
    "Human resources",
    "Sales",
    "Marketing",
    "Legal",
    "Procurement",
    "Logistics",
    "Manufacturing",
    "Quality",
    "R&D",
    "Customer service",
    "Facilities",
    "Executive office",
    "Audit",
    "Treasury",
    "Public relations",
    "Training",
    "Warehouse",
    "Engineering",
    "Compliance",
]


def setup_django(database_url: str | None = None) -> None:
    """Point Django at the bench database (unless DATABASE_URL is set) and set it up."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DATABASE_URL", database_url or BENCH_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    import django

    django.setup()


def ensure_database(database_url: str, *, drop: bool = False) -> None:
    """CREATE DATABASE if it does not exist yet (connecting to the server's `postgres` database); with `drop`,
    drop it first (after a schema change that the seed's SQL must follow)."""
    import psycopg2

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name.startswith("servicedesk_bench"):
        raise SystemExit(f"Refusing to seed {name!r}: the bench database's name starts with servicedesk_bench.")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            if drop:
                print(f"Dropping database {name}")
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                print(f"Creating database {name}")
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


# --- people and configuration ---------------------------------------------------------------------


def seed_people() -> bool:
    """Departments, 2,000 requesters, 30 technicians in 6 groups, desk agents, a supervisor, categories.
    Returns False if they were already there."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from servicedesk.models import Category, Department, Role, SupportGroup, User

    if User.objects.filter(username="agent01").exists():
        return False
    password = make_password(PASSWORD)
    with transaction.atomic(), connection.cursor() as cur:
        Department.objects.bulk_create([Department(name=name) for name in DEPARTMENTS])
        dept_ids = list(Department.objects.filter(name__in=DEPARTMENTS).order_by("pk").values_list("pk", flat=True))
        # Requesters user0001…user2000: name, email, phone and department follow from the index, so the
        # ticket seed can derive contact details without a join. Every 33rd requester is a VIP.
        cur.execute(
            """
            INSERT INTO servicedesk_user (password, is_superuser, username, first_name, last_name, email,
                is_staff, is_active, date_joined, display_name, phone, customer_tier, language, department_id)
            SELECT %(password)s, false, 'user' || lpad(i::text, 4, '0'), '', '', 'user' || lpad(i::text, 4, '0')
                   || '@example.com', false, true, now() - interval '4 years',
                   (ARRAY['Wang','Li','Zhang','Liu','Chen','Yang','Huang','Zhao','Wu','Zhou','Smith','Jones',
                          'Brown','Garcia','Müller','Tanaka'])[1 + i %% 16] || ' ' ||
                   (ARRAY['Wei','Fang','Na','Min','Jing','Lei','Yan','Qiang','Jun','Hui','Anna','Ben','Chris',
                          'Dana','Eric','Fiona','Grace'])[1 + (i / 16) %% 17] || ' ' || i,
                   '1380000' || lpad(i::text, 4, '0'),
                   CASE WHEN i %% 33 = 0 THEN 'vip' ELSE 'standard' END, '',
                   (%(depts)s::bigint[])[1 + i %% %(ndept)s]
            FROM generate_series(1, %(n)s) AS i
            """,
            {"password": password, "depts": dept_ids, "ndept": len(dept_ids), "n": N_REQUESTERS},
        )
        staff = []
        for g in range(len(GROUPS)):
            for k in range(TECHS_PER_GROUP):
                i = g * TECHS_PER_GROUP + k + 1
                staff.append((f"tech{i:02d}", f"Tech {i:02d}", Role.TECHNICIAN))
        staff += [(f"agent{i:02d}", f"Agent {i:02d}", Role.AGENT) for i in range(1, N_AGENTS + 1)]
        staff.append(("sup01", "Supervisor 01", Role.SUPERVISOR))
        User.objects.bulk_create(
            [
                User(
                    username=username,
                    display_name=display,
                    email=f"{username}@example.com",
                    password=password,
                    department_id=dept_ids[0],
                )
                for username, display, _role in staff
            ]
        )
        # Roles are auth groups named by role.
        cur.execute(
            """
            INSERT INTO servicedesk_user_groups (user_id, group_id)
            SELECT u.id, g.id FROM servicedesk_user u JOIN auth_group g ON g.name = CASE
                WHEN u.username LIKE 'user%%' THEN 'end_user'
                WHEN u.username LIKE 'tech%%' THEN 'technician'
                WHEN u.username LIKE 'agent%%' THEN 'agent'
                WHEN u.username LIKE 'sup%%' THEN 'supervisor' END
            """
        )
        techs = {u.username: u for u in User.objects.filter(username__startswith="tech")}
        for g, name in enumerate(GROUPS):
            members = [techs[f"tech{g * TECHS_PER_GROUP + k + 1:02d}"] for k in range(TECHS_PER_GROUP)]
            group = SupportGroup.objects.create(name=name, lead=members[0], is_field_team=name == "Field service")
            group.members.set(members)
            root = Category.objects.create(name=name, default_group=group)
            for child in CATEGORIES[name]:
                Category.objects.create(name=child, parent=root)
    return True


def ensure_tokens(usernames: list[str]) -> dict[str, str]:
    """API tokens for the given users (made once, reused)."""
    from rest_framework.authtoken.models import Token

    from servicedesk.models import User

    tokens = {}
    for user in User.objects.filter(username__in=usernames):
        token, _created = Token.objects.get_or_create(user=user)
        tokens[user.username] = token.key
    return tokens


# --- tickets ---------------------------------------------------------------------------------------

TITLE_OBJECTS = [
    "Printer",
    "Laptop",
    "Desktop PC",
    "Monitor",
    "VPN",
    "Wi-Fi",
    "Outlook",
    "Email",
    "ERP",
    "SAP",
    "Teams",
    "File share",
    "Scanner",
    "Keyboard",
    "Docking station",
    "Projector",
    "Desk phone",
    "Badge reader",
    "Password",
    "Account",
    "Excel",
    "Browser",
    "Payroll system",
    "CRM",
    "Backup job",
    "Virtual machine",
    "打印机",
    "笔记本电脑",
    "邮箱",
    "无线网络",
    "报销系统",
    "会议室投影仪",
]
TITLE_PROBLEMS = [
    "does not start",
    "is very slow",
    "shows an error",
    "cannot connect",
    "keeps disconnecting",
    "needs to be installed",
    "access requested",
    "locked out",
    "paper jam",
    "blue screen after update",
    "no sound",
    "prints blank pages",
    "sync fails",
    "license expired",
    "cannot log in",
    "request for a new one",
    "无法启动",
    "运行很慢",
    "无法连接",
    "报错",
    "需要安装",
    "申请权限",
]
DESCRIPTION_OPENERS = [
    "Since this morning",
    "After the weekend",
    "Intermittently for a week",
    "Right after the latest update",
    "Every time I try",
    "Since the office move",
    "从今天早上开始",
    "更新之后",
]
DESCRIPTION_DETAILS = [
    "the device shows error code 0x80070005 and nothing works.",
    "it takes minutes to respond and colleagues see the same.",
    "the connection drops every few minutes on floor three.",
    "I cannot finish the month-end report without it.",
    "a restart did not help; the customer meeting is at 3 pm.",
    "please call me back on my mobile.",
    "整个部门都受到影响，请尽快处理。",
    "重启之后问题依旧。",
]


def seed_tickets(count: int, *, years: int = 3) -> None:
    """Insert `count` tickets (and their events and some comments) in a few set-based statements."""
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM servicedesk_user WHERE username LIKE 'user%%' ORDER BY username")
        requesters = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id FROM servicedesk_user WHERE username LIKE 'agent%%' ORDER BY username")
        agents = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id, department_id FROM servicedesk_user WHERE username LIKE 'user%%' ORDER BY username")
        req_depts = [r[1] for r in cur.fetchall()]
        cur.execute("SELECT id, name FROM servicedesk_supportgroup")
        group_by_name = {name: pk for pk, name in cur.fetchall()}
        groups = [group_by_name[name] for name in GROUPS]
        cur.execute("SELECT id FROM servicedesk_user WHERE username LIKE 'tech%%' ORDER BY username")
        techs = [r[0] for r in cur.fetchall()]  # tech01…05 in group 1, tech06…10 in group 2, …
        # Five categories per group: the group's root and its four children.
        cats: list[int] = []
        for name in GROUPS:
            cur.execute(
                "SELECT id FROM servicedesk_category WHERE id = (SELECT id FROM servicedesk_category "
                "WHERE name = %s AND parent_id IS NULL) OR parent_id = (SELECT id FROM servicedesk_category "
                "WHERE name = %s AND parent_id IS NULL) ORDER BY id",
                [name, name],
            )
            cats += [r[0] for r in cur.fetchall()]
        cur.execute("SELECT max(id) FROM tickets_ticket")
        max_id_before = cur.fetchone()[0] or 0
        # Serials continue after everything already taken, by the seed or by the sequence.
        cur.execute(
            "SELECT greatest((SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
            "FROM ticket_number_seq), "
            "(SELECT coalesce(max(split_part(number, '-', 3)::bigint), 0) FROM tickets_ticket))"
        )
        base = cur.fetchone()[0]

    policies = _sla_policies()
    params = {
        "resp": [policies[p]["response_minutes"] for p in (1, 2, 3, 4)],
        "resol": [policies[p]["resolution_minutes"] for p in (1, 2, 3, 4)],
        "wall": [policies[p]["wall_factor"] for p in (1, 2, 3, 4)],
        "n": count,
        "base": base,
        "objects": TITLE_OBJECTS,
        "problems": TITLE_PROBLEMS,
        "openers": DESCRIPTION_OPENERS,
        "details": DESCRIPTION_DETAILS,
        "span": f"{years * 365} days",
        "req": requesters,
        "req_dept": req_depts,
        "nreq": len(requesters),
        "agents": agents,
        "groups": groups,
        "techs": techs,
        "tpg": TECHS_PER_GROUP,
        "cats": cats,
        "cpg": len(cats) // len(groups),
    }
    # Layer 1 draws the random numbers (OFFSET 0 keeps it from being flattened, so each draw happens once per
    # row); layer 2 derives the shape of the ticket; layer 3 lays out its timestamps; the SELECT writes columns.
    # Open tickets are mostly recent: half of the last month's tickets are open, 0.6% of older ones are stuck.
    ticket_sql = """
    INSERT INTO tickets_ticket (
        number, type, title, description, channel, contact_email, contact_phone, started_at, scope,
        impact, urgency, priority, is_vip, status, first_contact_resolution, resolution, pending_reason,
        reopen_count, version, sla_due, created_at, updated_at, first_response_at, resolved_at, closed_at,
        cancelled_at, assignee_id, category_id, created_by_id, department_id, group_id, requester_id)
    SELECT
        (CASE type WHEN 'incident' THEN 'INC' WHEN 'request' THEN 'REQ' WHEN 'inquiry' THEN 'INQ' ELSE 'CMP' END)
            || '-' || to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY') || '-' || lpad(serial::text, 6, '0'),
        type, title, description, channel,
        'user' || lpad(ridx::text, 4, '0') || '@example.com', '1380000' || lpad(ridx::text, 4, '0'),
        created_at - interval '1 hour', '', impact, urgency, priority, ridx %% 33 = 0, status,
        fcr, CASE WHEN resolved_at IS NOT NULL THEN 'Fixed: ' || title ELSE '' END,
        CASE WHEN status = 'pending' THEN 'Waiting for the requester to confirm a time' ELSE '' END,
        0, version,
        CASE WHEN status IN ('new', 'assigned', 'in_progress')
             THEN created_at + interval '1 second' * (%(wall)s::float8[])[priority]
                  * (CASE WHEN first_response_at IS NULL THEN (%(resp)s::int[])[priority]
                          ELSE (%(resol)s::int[])[priority] END) * 60 END,
        created_at, greatest(created_at, first_response_at, resolved_at, closed_at, cancelled_at),
        first_response_at, resolved_at, closed_at, cancelled_at,
        assignee_id, category_id,
        CASE WHEN channel IN ('phone', 'email', 'walk_in') THEN (%(agents)s::bigint[])[1 + serial %% 5]
             ELSE requester_id END,
        (%(req_dept)s::bigint[])[ridx], group_id, requester_id
    FROM (
        SELECT *,
            CASE WHEN status IN ('in_progress', 'pending', 'resolved', 'closed') AND group_id IS NOT NULL
                 THEN least(now(), created_at + interval '1 minute' * (5 + r_dur * 120)) END AS first_response_at,
            CASE WHEN status IN ('resolved', 'closed')
                 THEN least(now(), created_at + interval '1 minute' * (10 + exp(r_dur * 9))) END AS resolved_at,
            CASE WHEN status = 'closed'
                 THEN least(now(), created_at + interval '1 minute' * (10 + exp(r_dur * 9)) + interval '3 days')
                 END AS closed_at,
            CASE WHEN status = 'cancelled' THEN created_at + interval '2 hours' END AS cancelled_at,
            CASE WHEN group_id IS NULL THEN NULL
                 WHEN status = 'assigned' AND r_who < 0.3 THEN NULL
                 ELSE (%(techs)s::bigint[])[gidx * %(tpg)s + 1 + floor(r_who * %(tpg)s)::int] END AS assignee_id,
            1 + floor(r_who * 6)::int AS version
        FROM (
            SELECT *,
                (%(req)s::bigint[])[ridx] AS requester_id,
                CASE WHEN status = 'new' OR status = 'cancelled' OR fcr THEN NULL
                     ELSE (%(groups)s::bigint[])[gidx + 1] END AS group_id,
                (%(cats)s::bigint[])[gidx * %(cpg)s + 1 + floor(r_cat2 * %(cpg)s)::int] AS category_id,
                least(4, impact + urgency - 1) AS priority
            FROM (
                SELECT serial, created_at, r_dur, r_who, r_cat2,
                    1 + floor(%(nreq)s * power(r_req, 1.2))::int AS ridx,
                    floor(r_cat * 6)::int AS gidx,
                    CASE WHEN r_type < 0.6 THEN 'incident' WHEN r_type < 0.9 THEN 'request'
                         WHEN r_type < 0.98 THEN 'inquiry' ELSE 'complaint' END AS type,
                    CASE WHEN r_chan < 0.45 THEN 'phone' WHEN r_chan < 0.75 THEN 'portal'
                         WHEN r_chan < 0.9 THEN 'email' WHEN r_chan < 0.97 THEN 'walk_in' ELSE 'api' END AS channel,
                    CASE WHEN r_imp < 0.05 THEN 1 WHEN r_imp < 0.3 THEN 2 ELSE 3 END AS impact,
                    CASE WHEN r_urg < 0.1 THEN 1 WHEN r_urg < 0.4 THEN 2 ELSE 3 END AS urgency,
                    NOT is_open AND r_status < 0.12 AND r_status2 < 0.9 AS fcr,
                    CASE WHEN is_open THEN
                        CASE WHEN r_status < 0.2 THEN 'new' WHEN r_status < 0.45 THEN 'assigned'
                             WHEN r_status < 0.85 THEN 'in_progress' ELSE 'pending' END
                    WHEN r_status2 >= 0.92 THEN 'cancelled'
                    WHEN created_at > now() - interval '14 days' AND r_status < 0.6 THEN 'resolved'
                    ELSE 'closed' END AS status,
                    (%(objects)s::text[])[1 + floor(r_t1 * cardinality(%(objects)s::text[]))::int] || ' ' ||
                        (%(problems)s::text[])[1 + floor(r_t2 * cardinality(%(problems)s::text[]))::int] AS title,
                    (%(openers)s::text[])[1 + floor(r_t3 * cardinality(%(openers)s::text[]))::int] || ', ' ||
                        (%(details)s::text[])[1 + floor(r_t1 * r_t3 * cardinality(%(details)s::text[]))::int] ||
                        ' Asset tag PC-' || lpad(floor(r_tag * 200000)::int::text, 6, '0') || '.' AS description
                FROM (
                    SELECT serial, created_at, r_type, r_chan, r_imp, r_urg, r_req, r_cat, r_cat2, r_status,
                           r_status2, r_dur, r_who, r_t1, r_t2, r_t3, r_tag,
                           CASE WHEN created_at > now() - interval '30 days' THEN r_open < 0.5
                                ELSE r_open < 0.006 END AS is_open
                    FROM (
                        SELECT %(base)s + g AS serial,
                               now() - %(span)s::interval
                                   + (g - random()) / %(n)s * (%(span)s::interval - interval '1 minute') AS created_at,
                               random() AS r_type, random() AS r_chan, random() AS r_imp, random() AS r_urg,
                               random() AS r_req, random() AS r_cat, random() AS r_cat2, random() AS r_open,
                               random() AS r_status, random() AS r_status2, random() AS r_dur, random() AS r_who,
                               random() AS r_t1, random() AS r_t2, random() AS r_t3, random() AS r_tag
                        FROM generate_series(1, %(n)s) AS g
                        OFFSET 0
                    ) draws
                ) opened
            ) shaped
        ) grouped
    ) timed
    """
    # The audit trail, as the services would have written it.
    events_sql = """
    INSERT INTO tickets_ticketevent (kind, at, data, internal, actor_id, ticket_id)
    SELECT kind, at, data, false, actor_id, ticket_id FROM (
        SELECT 'created' AS kind, t.created_at AS at,
               jsonb_build_object('type', t.type, 'channel', t.channel, 'priority', t.priority,
                                  'requester', t.requester_id) AS data,
               t.created_by_id AS actor_id, t.id AS ticket_id
        FROM tickets_ticket t WHERE t.id > %(after)s
        UNION ALL
        SELECT 'assigned', t.created_at + interval '3 minutes',
               jsonb_build_object('group', jsonb_build_object('from', null, 'to', t.group_id),
                                  'assignee', jsonb_build_object('from', null, 'to', t.assignee_id), 'auto', false),
               t.created_by_id, t.id
        FROM tickets_ticket t WHERE t.id > %(after)s AND t.group_id IS NOT NULL
        UNION ALL
        SELECT 'status_changed', t.first_response_at,
               jsonb_build_object('from', 'assigned', 'to', 'in_progress'), t.assignee_id, t.id
        FROM tickets_ticket t WHERE t.id > %(after)s AND t.first_response_at IS NOT NULL
        UNION ALL
        SELECT 'status_changed', coalesce(t.resolved_at, t.cancelled_at),
               jsonb_build_object('from', 'in_progress', 'to', CASE WHEN t.resolved_at IS NOT NULL
                                  THEN 'resolved' ELSE 'cancelled' END),
               coalesce(t.assignee_id, t.created_by_id), t.id
        FROM tickets_ticket t WHERE t.id > %(after)s AND (t.resolved_at IS NOT NULL OR t.cancelled_at IS NOT NULL)
        UNION ALL
        SELECT 'status_changed', t.closed_at, jsonb_build_object('from', 'resolved', 'to', 'closed'), NULL, t.id
        FROM tickets_ticket t WHERE t.id > %(after)s AND t.closed_at IS NOT NULL
    ) e
    """
    comments_sql = """
    INSERT INTO tickets_comment (body, internal, created_at, author_id, ticket_id)
    SELECT 'Hello, I am looking into this now. Could you tell me when it started?', false,
           t.first_response_at, t.assignee_id, t.id
    FROM tickets_ticket t
    WHERE t.id > %(after)s AND t.assignee_id IS NOT NULL AND t.first_response_at IS NOT NULL AND t.id %% 5 = 0
    """
    with transaction.atomic(), connection.cursor() as cur:
        # A bulk load: the WAL flush per commit and small sort memory would only slow it down.
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # The rows are made consistent by construction: skip the deferred foreign-key checks, which would
        # otherwise look up ~16M referenced rows one by one at COMMIT (needs a superuser, as in development).
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SELECT setseed(0.2024)")
        tables = ("tickets_ticket", "tickets_ticketevent", "tickets_comment")
        if policies[1]["id"] is not None:
            tables += ("sla_clock",)
        # Into empty tables, building each index once afterwards beats updating 20 of them row by row.
        # DDL is transactional here: if the seed dies, the indexes come back with the rollback.
        rebuild = _drop_secondary_indexes(cur, tables) if max_id_before == 0 else []
        t0 = time.monotonic()
        cur.execute(ticket_sql, params)
        print(f"  tickets:  {cur.rowcount:>9,} rows in {time.monotonic() - t0:6.1f} s", flush=True)
        t0 = time.monotonic()
        cur.execute(events_sql, {"after": max_id_before})
        print(f"  events:   {cur.rowcount:>9,} rows in {time.monotonic() - t0:6.1f} s", flush=True)
        t0 = time.monotonic()
        cur.execute(comments_sql, {"after": max_id_before})
        print(f"  comments: {cur.rowcount:>9,} rows in {time.monotonic() - t0:6.1f} s", flush=True)
        if policies[1]["id"] is not None:
            t0 = time.monotonic()
            cur.execute(
                CLOCKS_SQL,
                {
                    **params,
                    "after": max_id_before,
                    "pol": [policies[p]["id"] for p in (1, 2, 3, 4)],
                    "cal": [policies[p]["calendar_id"] for p in (1, 2, 3, 4)],
                },
            )
            print(f"  clocks:   {cur.rowcount:>9,} rows in {time.monotonic() - t0:6.1f} s", flush=True)
        if rebuild:
            t0 = time.monotonic()
            for ddl in rebuild:
                cur.execute(ddl)
            print(f"  indexes:  {len(rebuild):>9,} built in {time.monotonic() - t0:6.1f} s", flush=True)
        # The next ticket created through the services numbers after every seeded one.
        cur.execute("SELECT setval('ticket_number_seq', %s)", [base + count])


def _sla_policies() -> dict[int, dict]:
    """The catch-all SLA policy of each priority (targets in business minutes), and how many wall-clock seconds a
    business second takes on its calendar on average (7×24: 1; 7.5 h × 5 days: 4.5). Defaults if there is none."""
    from django.db import connection

    defaults = {1: (60, 240), 2: (240, 900), 3: (450, 2250), 4: (900, 4500)}
    policies = {
        p: {"id": None, "calendar_id": None, "response_minutes": r, "resolution_minutes": s, "wall_factor": 4.5}
        for p, (r, s) in defaults.items()
    }
    if "sla_policy" not in connection.introspection.table_names():
        return policies
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT DISTINCT ON (p.priority) p.priority, p.id, p.calendar_id, p.response_minutes,
                   p.resolution_minutes, (SELECT coalesce(sum(i.end_minute - i.start_minute), 0)
                                          FROM sla_workinginterval i WHERE i.calendar_id = p.calendar_id)
            FROM sla_policy p
            WHERE p.is_active AND p.category_id IS NULL AND p.ticket_type = '' AND coalesce(p.customer_tier, '') = ''
            ORDER BY p.priority, p.id
            """
        )
        for priority, pk, calendar_id, response, resolution, weekly_minutes in cur.fetchall():
            policies[priority] = {
                "id": pk,
                "calendar_id": calendar_id,
                "response_minutes": response,
                "resolution_minutes": resolution,
                "wall_factor": round(7 * 24 * 60 / weekly_minutes, 2) if weekly_minutes else 4.5,
            }
    if any(p["id"] is None for p in policies.values()):
        policies[1]["id"] = None  # incomplete: seed no clocks rather than half of them
    return policies


# Each ticket's two SLA clocks as the SLA services leave them: stopped (met or breached) at the first response
# and at the resolution, paused while pending, void when cancelled, running (warned or breached by the sweep
# once past warn_at / due_at) otherwise. Wall-clock due times approximate business time by the calendar's ratio.
CLOCKS_SQL = """
INSERT INTO sla_clock (ticket_id, metric, policy_id, calendar_id, target_seconds, warning_percent, elapsed_seconds,
    running_since, state, due_at, warn_at, next_check_at, warned_at, breached_at, stopped_at, void)
SELECT ticket_id, metric, policy_id, calendar_id, target, 75,
    CASE WHEN stop_at IS NOT NULL THEN least(2000000000, extract(epoch FROM stop_at - created_at) / wall)::int
         WHEN paused THEN (target * 0.4)::int ELSE 0 END,
    CASE WHEN stop_at IS NULL AND NOT paused THEN created_at END,
    CASE WHEN cancelled OR paused THEN 'paused'
         WHEN stop_at IS NOT NULL THEN CASE WHEN stop_at > due THEN 'breached' ELSE 'met' END
         WHEN now() > due THEN 'breached' WHEN now() > warn THEN 'warning' ELSE 'running' END,
    CASE WHEN cancelled OR paused THEN NULL ELSE due END,
    CASE WHEN cancelled OR paused THEN NULL ELSE warn END,
    CASE WHEN stop_at IS NULL AND NOT paused AND now() <= due THEN CASE WHEN now() > warn THEN due ELSE warn END END,
    CASE WHEN NOT cancelled AND NOT paused AND least(stop_at, now()) > warn THEN warn END,
    CASE WHEN NOT cancelled AND NOT paused AND least(stop_at, now()) > due THEN due END,
    stop_at, cancelled
FROM (
    SELECT t.id AS ticket_id, m.metric, t.created_at, t.status = 'cancelled' AS cancelled,
        t.status = 'pending' AND m.metric = 'resolution' AS paused,
        (%(pol)s::bigint[])[t.priority] AS policy_id, (%(cal)s::bigint[])[t.priority] AS calendar_id,
        60 * CASE m.metric WHEN 'response' THEN (%(resp)s::int[])[t.priority]
                          ELSE (%(resol)s::int[])[t.priority] END AS target,
        (%(wall)s::float8[])[t.priority] AS wall,
        t.created_at + interval '1 second' * (%(wall)s::float8[])[t.priority] * 60
            * CASE m.metric WHEN 'response' THEN (%(resp)s::int[])[t.priority]
                            ELSE (%(resol)s::int[])[t.priority] END AS due,
        t.created_at + interval '1 second' * (%(wall)s::float8[])[t.priority] * 45
            * CASE m.metric WHEN 'response' THEN (%(resp)s::int[])[t.priority]
                            ELSE (%(resol)s::int[])[t.priority] END AS warn,
        CASE WHEN t.status = 'cancelled' THEN t.cancelled_at
             WHEN m.metric = 'response' THEN coalesce(t.first_response_at, t.resolved_at)
             ELSE t.resolved_at END AS stop_at
    FROM tickets_ticket t CROSS JOIN (VALUES ('response'), ('resolution')) AS m(metric)
    WHERE t.id > %(after)s
) c
"""


def _drop_secondary_indexes(cur, tables: tuple[str, ...]) -> list[str]:
    """Drop the indexes of `tables` that back no constraint; return the statements that recreate them."""
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [list(tables)],
    )
    rows = cur.fetchall()
    for name, _ddl in rows:
        cur.execute(f"DROP INDEX {name}")
    return [ddl for _name, ddl in rows]


def ticket_count() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM tickets_ticket")
        return cur.fetchone()[0]


def vacuum_analyze() -> None:
    """Fresh statistics for the planner, and a visibility map so index-only scans skip the heap."""
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("servicedesk_user", "tickets_ticket", "tickets_ticketevent", "tickets_comment", "sla_clock"):
            if table in connection.introspection.table_names():
                cur.execute(f"VACUUM (ANALYZE) {table}")


def ensure_seed(tickets: int, database_url: str = BENCH_DATABASE_URL, *, reseed: bool = False) -> dict:
    """Create, migrate and fill the bench database up to `tickets` tickets. Returns what it did and how long."""
    started = time.monotonic()
    ensure_database(database_url, drop=reseed)
    setup_django(database_url)
    migrate()
    made_people = seed_people()
    print(f"  migrated and people ready in {time.monotonic() - started:6.1f} s", flush=True)
    existing = ticket_count()
    result = {"tickets_before": existing, "tickets_requested": tickets, "people_created": made_people}
    if existing >= tickets:
        print(f"Bench database already holds {existing:,} tickets (≥ {tickets:,}): not seeding.")
        result.update(seeded=0, seconds=round(time.monotonic() - started, 1))
        return result
    missing = tickets - existing
    print(f"Seeding {missing:,} tickets into the bench database …", flush=True)
    seed_tickets(missing)
    t0 = time.monotonic()
    vacuum_analyze()
    print(f"  vacuum analyze in {time.monotonic() - t0:6.1f} s")
    seconds = time.monotonic() - started
    print(f"Seeded {missing:,} tickets in {seconds:.1f} s")
    result.update(seeded=missing, seconds=round(seconds, 1), tickets_after=ticket_count())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to have in the bench database")
    parser.add_argument("--reseed", action="store_true", help="drop the bench database and seed it anew")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", BENCH_DATABASE_URL)
    ensure_seed(args.tickets, url, reseed=args.reseed)


if __name__ == "__main__":
    main()
