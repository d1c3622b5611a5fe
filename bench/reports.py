"""Benchmark the quality reports at scale: the summary API, the breakdown API, the dashboard page and the exports.

    .venv/bin/python bench/reports.py                        # 1,000,000 tickets in servicedesk_bench_reports
    .venv/bin/python bench/reports.py --tickets 100000       # a quick run
    .venv/bin/python bench/reports.py --database-url postgres://postgres@127.0.0.1:5432/servicedesk_bench

The tickets, events and SLA clocks come from bench/seed.py (set-based, the same distributions as `make bench`), in a
database of their own by default (the reports add follow-ups and complaints, which the main bench does not need).
This script tops them up set-based: one follow-up per resolved ticket (done with a satisfaction for closed ones,
due for resolved ones, a few unreachable), some complaints, and ~3 % of the resolved tickets reopened once.

Measures in-process through Django's test client (the whole middleware and view stack, no network and no WSGI
server), as a signed-in supervisor, one request at a time after a warm-up; nearest-rank percentiles in ms.
Prints a table and writes bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed  # bench/ is not a package: run as a script, it imports its sibling

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/servicedesk_bench_reports"
TARGETS_MS = {"summary": 500.0, "dashboard": 1000.0}

FOLLOWUPS_SQL = """
INSERT INTO tickets_followup (ticket_id, assignee_id, state, due_at, satisfaction, fix_confirmed, comment, outcome,
    completed_at, version, created_at)
SELECT t.id, NULL,
  CASE WHEN t.status = 'resolved' THEN 'due' WHEN r < 0.93 THEN 'done' ELSE 'unreachable' END,
  t.resolved_at + interval '7 days',
  CASE WHEN t.status = 'closed' AND r < 0.93 THEN 1 + least(4, floor(power(random(), 0.35) * 5))::int END,
  CASE WHEN t.status = 'closed' AND r < 0.93 THEN true END,
  '',
  CASE WHEN t.status = 'resolved' THEN '' WHEN r < 0.93 THEN 'closed' ELSE 'unreachable' END,
  CASE WHEN t.status = 'closed' THEN t.resolved_at + interval '1 day' * (random() * 9) END,
  1, t.resolved_at
FROM (SELECT id, status, resolved_at, random() AS r FROM tickets_ticket
      WHERE resolved_at IS NOT NULL AND id > %(after)s) t
"""

COMPLAINTS_SQL = """
INSERT INTO tickets_complaint (ticket_id, about, about_group_id, about_person_id, about_ticket_id, group_id,
    responsible_id, result, result_at, result_by_id, satisfaction, satisfaction_at, created_by_id, created_at)
SELECT t.id, 'group', t.group_id, NULL, NULL, t.group_id, NULL, '', NULL, NULL, NULL, NULL, t.created_by_id,
    t.created_at
FROM tickets_ticket t
WHERE t.type = 'complaint' AND t.group_id IS NOT NULL AND t.id > %(after)s
  AND NOT EXISTS (SELECT 1 FROM tickets_complaint c WHERE c.ticket_id = t.id)
"""

REOPEN_SQL = """
UPDATE tickets_ticket SET reopen_count = 1, first_contact_resolution = false
WHERE resolved_at IS NOT NULL AND id > %(after)s AND id %% 33 = 7
"""


def top_up() -> dict:
    """Follow-ups, complaints and reopens for the tickets that have none yet (a second run adds nothing)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(ticket_id), 0) FROM tickets_followup")
        after = cur.fetchone()[0]
        t0 = time.monotonic()
        cur.execute(REOPEN_SQL, {"after": after})
        reopened = cur.rowcount
        cur.execute(FOLLOWUPS_SQL, {"after": after})
        followups = cur.rowcount
        cur.execute(COMPLAINTS_SQL, {"after": after})
        complaints = cur.rowcount
        for table in ("tickets_followup", "tickets_complaint", "tickets_ticket"):
            cur.execute(f"VACUUM (ANALYZE) {table}")
    seconds = time.monotonic() - t0
    print(f"  top-up: {followups:,} follow-ups, {complaints:,} complaints, {reopened:,} reopens in {seconds:.1f} s")
    return {"followups": followups, "complaints": complaints, "reopened": reopened, "seconds": round(seconds, 1)}


def nearest_rank(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def measure(client, name: str, group: str, path: str, params: dict, n: int, warmup: int = 2, before=None) -> dict:
    for _ in range(warmup):
        client.get(path, params)
    times, errors, size = [], 0, 0
    for _ in range(n):
        if before is not None:
            before()
        t0 = time.perf_counter()
        response = client.get(path, params)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        times.append((time.perf_counter() - t0) * 1000)
        errors += response.status_code != 200
        size = len(body)
    target = TARGETS_MS.get(group)
    row = {
        "name": name,
        "group": group,
        "path": path,
        "params": params,
        "n": n,
        "errors": errors,
        "mean_ms": round(statistics.fmean(times), 1),
        "p50_ms": round(nearest_rank(times, 50), 1),
        "p95_ms": round(nearest_rank(times, 95), 1),
        "max_ms": round(max(times), 1),
        "bytes": size,
        "target_ms": target,
        "ok": errors == 0 and (target is None or nearest_rank(times, 95) <= target),
    }
    print(f"  {name:<44} p50 {row['p50_ms']:>8.1f}  p95 {row['p95_ms']:>8.1f}  max {row['max_ms']:>8.1f} ms")
    return row


def measure_export(client, name: str, params: dict) -> dict:
    """One export, consumed chunk by chunk as a browser would; peak Python memory traced while streaming."""
    tracemalloc.start()
    t0 = time.perf_counter()
    response = client.get("/reports/export/", params)
    rows = size = 0
    chunks = response.streaming_content if response.streaming else [response.content]
    for chunk in chunks:
        size += len(chunk)
        rows += chunk.count(b"\n") if params.get("format") == "csv" else 0
    seconds = time.perf_counter() - t0
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row = {
        "name": name,
        "group": "export",
        "params": params,
        "status": response.status_code,
        "seconds": round(seconds, 1),
        "bytes": size,
        "csv_rows": rows - 1 if rows else None,
        "peak_python_mb": round(peak / 1e6, 1),
    }
    print(f"  {name:<44} {seconds:6.1f} s  {size / 1e6:7.1f} MB  peak Python memory {peak / 1e6:6.1f} MB")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_REPORTS_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=30, help="requests per API scenario")
    parser.add_argument("--no-exports", action="store_true", help="skip the (slow) 100,000-row exports")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    seed_result = seed.ensure_seed(args.tickets, args.database_url)
    extra = top_up()

    from django.conf import settings

    # Production settings (DEBUG off, so no query log skews the timings), but `{% static %}` without the manifest
    # of `collectstatic`, as bench/settings.py does for the HTTP bench.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    from django.db import connection
    from django.test import Client

    from servicedesk.models import Role, User
    from tickets.reports import local_today

    supervisor = User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True).first()
    if supervisor is None:
        from servicedesk import services as people

        supervisor = people.user_create(
            actor=None, username="bench_supervisor", password=seed.PASSWORD, roles=[Role.SUPERVISOR], validate=False
        )
    client = Client()
    client.force_login(supervisor)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM tickets_ticket")
        total = cur.fetchone()[0]
    today = local_today()

    def window(days: int) -> dict:
        return {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}

    n = args.requests
    results = []
    print(f"\nReports over {total:,} tickets (one client, sequential, after a warm-up):")
    for days in (30, 90):
        results.append(
            measure(client, f"summary API, {days} days", "summary", "/api/v1/reports/summary/", window(days), n)
        )
    results.append(
        measure(
            client,
            "summary API, 90 days, group filter",
            "summary",
            "/api/v1/reports/summary/",
            {**window(90), "group": "1"},
            n,
        )
    )
    results.append(measure(client, "summary API, 365 days", "summary-year", "/api/v1/reports/summary/", window(365), 5))
    results.append(
        measure(
            client,
            "breakdown API by group, 90 days",
            "breakdown",
            "/api/v1/reports/breakdown/",
            {**window(90), "by": "group"},
            max(5, n // 3),
        )
    )
    for days in (7, 30, 90):
        results.append(
            measure(client, f"dashboard page, {days} days", "dashboard", "/reports/", window(days), max(5, n // 3))
        )
    from django.core.cache import cache

    from tickets import reports

    ninety = reports.Period(today - timedelta(days=89), today)
    previous_key = reports.previous_cache_key(reports.Scope.of(ninety.previous()))
    results.append(
        measure(
            client,
            "dashboard page, 90 days, nothing cached",
            "dashboard",
            "/reports/",
            window(90),
            max(5, n // 3),
            # The previous period's figures are cached for 10 minutes: measure without them.
            before=lambda: cache.delete(previous_key),
        )
    )
    exports = []
    if not args.no_exports:
        with connection.cursor() as cur:  # the shortest period ending today with ≥ 100,000 tickets
            cur.execute("SELECT created_at FROM tickets_ticket ORDER BY created_at DESC OFFSET 99999 LIMIT 1")
            row = cur.fetchone()
        start = (row[0] if row else datetime.now(UTC)).astimezone().date()
        params = {"from": start.isoformat(), "to": today.isoformat(), "report": "tickets"}
        print("\nExports of the tickets behind a figure:")
        exports.append(measure_export(client, "tickets CSV, ≥100,000 rows", {**params, "format": "csv"}))
        exports.append(measure_export(client, "tickets XLSX (stops at 25,000 rows)", {**params, "format": "xlsx"}))
        exports.append(
            measure_export(client, "whole dashboard XLSX, 90 days", {**window(90), "report": "all", "format": "xlsx"})
        )
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": load},
        "database": args.database_url.rsplit("/", 1)[-1],
        "tickets": total,
        "seed": seed_result,
        "top_up": extra,
        "method": "in-process Django test client as a supervisor; sequential; warm-up 2; nearest-rank percentiles",
        "targets_p95_ms": TARGETS_MS,
        "results": results,
        "exports": exports,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reports.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nLoad average during the run: {' '.join(load)}. Written to bench/results/reports.json")


if __name__ == "__main__":
    main()
