"""SLA sweep benchmark: 1,000,000 open tickets with running clocks, of which DUE are past a deadline.

Target (issue 3): the sweep finishes in under 10 s for 10,000 due out of 1,000,000 open on this 2-core
machine, and its cost follows the due rows, not the open ones (compare --due 1000 and --due 10000).

    .venv/bin/python bench/sweep.py [--tickets 1000000] [--due 10000]

Runs on its own database (servicedesk_bench_sweep) so it never touches the page/API benchmark's data."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "servicedesk_bench_sweep"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")


def ensure_database() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def seed(n: int) -> float:
    """Set-based seed: n open tickets, each with a response and a resolution clock due in the future."""
    from django.db import connection

    from sla.models import Calendar, Clock, Policy
    from tickets.models import Ticket

    have = Ticket.objects.count()
    if have >= n:
        return 0.0
    started = time.perf_counter()
    from servicedesk.models import User

    requester, _ = User.objects.get_or_create(username="bench-requester", defaults={"display_name": "Bench"})
    cal = Calendar.objects.get(is_default=True)
    policy = Policy.objects.filter(priority=3).first()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO tickets_ticket (number, type, title, description, channel, requester_id, contact_email,
                contact_phone, scope, impact, urgency, priority, is_vip, status, first_contact_resolution,
                resolution, pending_reason, reopen_count, version, created_at, updated_at)
            SELECT 'BEN-' || g, 'incident', 'Bench ticket ' || g, '', 'api', %s, '', '', '', 2, 2, 3, false,
                'new', false, '', '', 0, 1, now() - interval '1 hour', now()
            FROM generate_series(%s, %s) AS g
            """,
            [requester.pk, have + 1, n],
        )
        for metric in ("response", "resolution"):
            cur.execute(
                """
                INSERT INTO sla_clock (ticket_id, metric, policy_id, calendar_id, target_seconds, warning_percent,
                    elapsed_seconds, running_since, state, due_at, warn_at, next_check_at, void)
                SELECT t.id, %s, %s, %s, 86400, 75, 0, now(), 'running',
                    now() + interval '30 days', now() + interval '20 days', now() + interval '20 days', false
                FROM tickets_ticket t
                WHERE NOT EXISTS (SELECT 1 FROM sla_clock c WHERE c.ticket_id = t.id AND c.metric = %s)
                """,
                [metric, policy.pk, cal.pk, metric],
            )
        cur.execute("ANALYZE tickets_ticket; ANALYZE sla_clock;")
    assert Clock.objects.count() >= 2 * n
    return time.perf_counter() - started


def make_due(due: int) -> None:
    """Reset the first `due` response clocks to 'breach due a minute ago', with no escalation yet."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DELETE FROM sla_escalation")
        cur.execute("DELETE FROM tickets_ticketevent WHERE kind IN ('sla_warning', 'sla_breached')")
        cur.execute(
            """
            UPDATE sla_clock SET next_check_at = now() + interval '20 days', warned_at = NULL, breached_at = NULL,
                state = 'running', warn_at = now() + interval '20 days', due_at = now() + interval '30 days'
            WHERE next_check_at IS NULL OR next_check_at < now() + interval '19 days'
            """
        )
        cur.execute(
            """
            UPDATE sla_clock SET warn_at = now() - interval '2 minutes', due_at = now() - interval '1 minute',
                next_check_at = now() - interval '2 minutes'
            WHERE id IN (SELECT id FROM sla_clock WHERE metric = 'response' ORDER BY id LIMIT %s)
            """,
            [due],
        )
        cur.execute("ANALYZE sla_clock")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, nargs="+", default=[1_000, 10_000])
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seeded = seed(args.tickets)
    if seeded:
        print(f"seeded {args.tickets:,} open tickets with 2 clocks each in {seeded:.1f} s")
    from sla.services import sla_sweep

    results = {"open_tickets": args.tickets, "runs": []}
    for due in args.due:
        make_due(due)
        started = time.perf_counter()
        totals = sla_sweep()
        elapsed = time.perf_counter() - started
        again = time.perf_counter()
        rerun = sla_sweep()
        rerun_elapsed = time.perf_counter() - again
        assert totals["breaches"] == due, totals
        assert rerun["breaches"] == 0 and rerun["warnings"] == 0, rerun
        results["runs"].append(
            {"due": due, "seconds": round(elapsed, 3), "fired": totals, "rerun_seconds": round(rerun_elapsed, 4)}
        )
        print(
            f"sweep: {due:>6,} due of {args.tickets:,} open -> {elapsed:6.2f} s "
            f"({totals['warnings']} warnings, {totals['breaches']} breaches); idle re-run {rerun_elapsed * 1000:.1f} ms"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
