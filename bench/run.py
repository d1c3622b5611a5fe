"""Benchmark the service desk at scale: seed (once), start gunicorn on the bench database, measure, report.

    make bench                                   # 1,000,000 tickets
    make bench BENCH_ARGS="--tickets 100000"     # a quick run
    .venv/bin/python bench/run.py --help

Measures, as real HTTP against gunicorn on 127.0.0.1 (one client, sequential requests, after a warm-up):
the agent queue page (/desk/), the ticket page (/tickets/<number>/ for random numbers), the ticket list API
as a desk agent and as a technician with filter/ordering combinations (page_size 25); then ticket creation
through the API with 4 concurrent clients for a fixed time. Prints a table and writes bench/results/latest.json.
Tickets created by the run are deleted afterwards and the Redis database it used is flushed, so runs repeat.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed  # bench/ is not a package: run as a script, it imports its sibling

ROOT = seed.ROOT
RESULTS = Path(__file__).resolve().parent / "results"
REDIS_URL = "redis://127.0.0.1:6379/13"
TARGET_P95_MS = 150.0
TARGET_CREATE_RATE = 200.0


# --- a small keep-alive HTTP client (stdlib only) -------------------------------------------------


class Client:
    """One keep-alive connection with a cookie jar for a session, or a token for the API."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, float, http.client.HTTPResponse]:
        hdrs = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.token:
            hdrs["Authorization"] = f"Token {self.token}"
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            conn = self._connect()
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=hdrs)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.close()
                if attempt == 2:
                    raise
                continue
            elapsed = (time.perf_counter() - started) * 1000
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.headers.get("Connection", "").lower() == "close":
                self.close()
            return response.status, data, elapsed, response
        raise RuntimeError("unreachable")

    def get(self, path: str) -> tuple[int, bytes, float]:
        status, data, elapsed, _ = self.request("GET", path)
        return status, data, elapsed

    def post_json(self, path: str, payload: dict) -> tuple[int, bytes, float]:
        body = json.dumps(payload).encode()
        status, data, elapsed, _ = self.request("POST", path, body, {"Content-Type": "application/json"})
        return status, data, elapsed

    def login(self, username: str, password: str) -> None:
        """A real session login through the sign-in form (CSRF cookie + token)."""
        status, page, _ = self.get("/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise RuntimeError(f"login page: HTTP {status}")
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)})
        status, _, _, _response = self.request(
            "POST",
            "/accounts/login/",
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {username} failed: HTTP {status}")


# --- measurements ------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    group: str
    path: str
    n: int = 0
    errors: int = 0
    mean_ms: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    bytes: int = 0
    target_ms: float | None = None
    # Server CPU (gunicorn workers + their PostgreSQL backends) per request: unlike latency, hardly affected by
    # other work on the machine. On an idle machine a sequential request takes at least this long.
    server_cpu_ms: float = 0.0
    note: str = ""
    samples: list[float] = field(default_factory=list, repr=False)

    def finish(self) -> None:
        if self.samples:
            s = sorted(self.samples)
            self.n = len(s)
            self.mean_ms = round(statistics.fmean(s), 1)
            self.p50_ms = round(percentile(s, 50), 1)
            self.p95_ms = round(percentile(s, 95), 1)
            self.max_ms = round(s[-1], 1)

    @property
    def ok(self) -> bool | None:
        if self.target_ms is None:
            return None
        return self.errors == 0 and self.n > 0 and self.p95_ms < self.target_ms


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def measure(
    client: Client,
    name: str,
    group: str,
    paths: list[str],
    *,
    requests: int,
    warmup: int,
    max_seconds: float,
    target_ms: float | None = None,
    cpu: CpuProbe | None = None,
) -> Result:
    """GET the paths round-robin: `warmup` untimed, then up to `requests` timed (bounded by `max_seconds`)."""
    result = Result(name=name, group=group, path=paths[0] if len(paths) == 1 else f"{paths[0]} (+{len(paths) - 1})")
    result.target_ms = target_ms
    for i in range(warmup):
        client.get(paths[i % len(paths)])
    deadline = time.monotonic() + max_seconds
    cpu_before = cpu.snapshot() if cpu else {}
    for i in range(requests):
        if time.monotonic() > deadline:
            result.note = f"stopped after {max_seconds:.0f} s"
            break
        status, data, elapsed = client.get(paths[i % len(paths)])
        if status != 200:
            result.errors += 1
            if result.errors == 1:
                result.note = f"HTTP {status} on {paths[i % len(paths)]}"
            continue
        result.samples.append(elapsed)
        result.bytes = len(data)
    if cpu and result.samples:
        result.server_cpu_ms = round(cpu.since(cpu_before) * 1000 / (len(result.samples) + result.errors), 1)
    result.finish()
    if result.bytes and result.bytes < 200 and group == "page":
        result.note = result.note or "page looks like a stub"
    return result


@dataclass
class CreateResult:
    clients: int
    seconds: float
    created: int = 0
    errors: int = 0
    rate_per_s: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    target_rate: float = TARGET_CREATE_RATE
    server_cpu_ms: float = 0.0  # per ticket: what bounds the rate (2 cores: at most 2000 / server_cpu_ms a second)
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.rate_per_s >= self.target_rate


def measure_create(
    port: int,
    tokens: list[str],
    requesters: list[int],
    categories: list[int],
    *,
    clients: int,
    seconds: float,
    cpu: CpuProbe | None = None,
) -> CreateResult:
    """POST /api/v1/tickets/ from `clients` threads for `seconds`; tickets per second that came back 201."""
    result = CreateResult(clients=clients, seconds=seconds)
    latencies: list[float] = []
    lock = threading.Lock()
    first_error: list[str] = []
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(index: int) -> None:
        client = Client(port, token=tokens[index % len(tokens)])
        rng = random.Random(index)
        client.post_json("/api/v1/tickets/", _ticket_payload(rng, requesters, categories))  # warm-up
        mine: list[float] = []
        created = errors = 0
        start.wait()
        while time.monotonic() < stop_at[0]:
            status, data, elapsed = client.post_json("/api/v1/tickets/", _ticket_payload(rng, requesters, categories))
            if status == 201:
                created += 1
                mine.append(elapsed)
            else:
                errors += 1
                if not first_error:
                    first_error.append(f"HTTP {status}: {data[:200]!r}")
        client.close()
        with lock:
            latencies.extend(mine)
            result.created += created
            result.errors += errors

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds + 3600  # placeholder until everyone is warm
    start.wait()
    began = time.monotonic()
    cpu_before = cpu.snapshot() if cpu else {}
    stop_at[0] = began + seconds
    for t in threads:
        t.join(seconds + 120)
    elapsed = time.monotonic() - began
    if cpu and result.created:
        result.server_cpu_ms = round(cpu.since(cpu_before) * 1000 / (result.created + result.errors), 1)
    result.rate_per_s = round(result.created / elapsed, 1) if elapsed else 0.0
    if latencies:
        s = sorted(latencies)
        result.p50_ms, result.p95_ms = round(percentile(s, 50), 1), round(percentile(s, 95), 1)
    if first_error:
        result.note = first_error[0]
    return result


def _ticket_payload(rng: random.Random, requesters: list[int], categories: list[int]) -> dict:
    return {
        "type": rng.choice(["incident", "incident", "request", "inquiry"]),
        "title": rng.choice(["Printer offline", "VPN drops", "Outlook will not open", "New laptop needed"]),
        "description": "Reported by phone during the benchmark. " * 3,
        "channel": "phone",
        "impact": rng.choice([2, 3, 3]),
        "urgency": rng.choice([2, 3, 3]),
        "requester": rng.choice(requesters),
        "category": rng.choice(categories),
    }


class CpuProbe:
    """CPU seconds used so far by the gunicorn master and workers and by the bench database's backends (other
    than this process's own), read from /proc. Linux only; 0 elsewhere."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    @staticmethod
    def _stat(pid: int) -> list[str] | None:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None

    def _pids(self) -> set[int]:
        from django.db import connection

        pids = {self.server_pid}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                stat = self._stat(int(entry.name))
                if stat and int(stat[1]) == self.server_pid:  # field 4, the parent
                    pids.add(int(entry.name))
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            pids.update(row[0] for row in cur.fetchall())
        return pids

    def snapshot(self) -> dict[int, int]:
        out = {}
        for pid in self._pids():
            stat = self._stat(pid)
            if stat:
                out[pid] = int(stat[11]) + int(stat[12])  # utime + stime, in clock ticks
        return out

    def since(self, before: dict[int, int]) -> float:
        """CPU seconds used since `before` by the processes alive now (a backend that closed in between, e.g. at
        CONN_MAX_AGE, is left out: a slight undercount)."""
        now = self.snapshot()
        return sum(max(0, ticks - before.get(pid, 0)) for pid, ticks in now.items()) / self.tick


# --- the server ---------------------------------------------------------------------------------------


def server_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        CELERY_BROKER_URL=REDIS_URL,  # after-commit notifications just queue here; flushed at the end
        CELERY_TASK_ALWAYS_EAGER="0",
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        THROTTLE_USER="1000000/min",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="servicedesk.settings",
    )
    return env


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def start_server(env: dict[str, str], port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    if not port_free(port):
        raise SystemExit(f"Port {port} is in use: stop what runs there or pass --port.")
    # DEBUG=0 serves hashed static names from the manifest, which collectstatic writes.
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if collected.returncode != 0:
        last = (collected.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  collectstatic failed ({last[:160]}): serving with bench/settings.py (no static manifest)")
        env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "servicedesk.wsgi:application",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}: see {log_path}")
        try:
            status, _, _ = Client(port).get("/healthz")
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    raise SystemExit(f"gunicorn did not answer /healthz within 60 s: see {log_path}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the run --------------------------------------------------------------------------------------------


def bench_fixtures(sample: int) -> dict:
    """Ids and numbers the scenarios use, read from the bench database."""
    from django.db import connection

    from servicedesk.models import Category, SupportGroup, User

    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM tickets_ticket")
        lo, hi = cur.fetchone()
        rng = random.Random(7)
        ids = [rng.randint(lo, hi) for _ in range(sample * 2)]
        cur.execute("SELECT number FROM tickets_ticket WHERE id = ANY(%s) LIMIT %s", [ids, sample])
        numbers = [r[0] for r in cur.fetchall()]
        # A rare search term: one asset tag that a handful of tickets mention.
        cur.execute("SELECT substring(description FROM 'PC-[0-9]{6}') FROM tickets_ticket WHERE id = %s", [lo + 12345])
        asset_tag = cur.fetchone()[0]
    return {
        "numbers": numbers,
        "asset_tag": asset_tag,
        "tech": User.objects.get(username="tech01"),
        "group": SupportGroup.objects.get(name=seed.GROUPS[1]),
        "requesters": list(User.objects.filter(username__startswith="user").values_list("pk", flat=True)),
        "categories": list(Category.objects.filter(is_active=True).values_list("pk", flat=True)),
    }


def run(args: argparse.Namespace) -> dict:
    database_url = os.environ.get("BENCH_DATABASE_URL", seed.BENCH_DATABASE_URL)
    seeding = seed.ensure_seed(args.tickets, database_url, reseed=args.reseed)

    from django.db import connection

    from tickets.models import Ticket

    tokens = seed.ensure_tokens(["agent01", "agent02", "agent03", "agent04", "tech01"])
    fx = bench_fixtures(args.requests)
    tickets_now = seed.ticket_count()
    load_before = round(os.getloadavg()[0], 2)
    env = server_env(database_url)
    log_path = ROOT / "var" / "bench-gunicorn.log"
    log_path.parent.mkdir(exist_ok=True)
    print(f"\nStarting gunicorn ({args.workers} workers × {args.threads} threads) on 127.0.0.1:{args.port} …")
    proc = start_server(env, args.port, args.workers, args.threads, log_path)
    results: list[Result] = []
    create: CreateResult | None = None
    max_id = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        cpu = CpuProbe(proc.pid)
        opts = {"requests": args.requests, "warmup": args.warmup, "max_seconds": args.max_seconds, "cpu": cpu}
        agent = Client(args.port)
        agent.login("agent01", seed.PASSWORD)
        tech_page = Client(args.port)
        tech_page.login("tech01", seed.PASSWORD)
        api_agent = Client(args.port, token=tokens["agent01"])
        api_tech = Client(args.port, token=tokens["tech01"])
        g = fx["group"].pk
        tech_id = fx["tech"].pk
        open_statuses = "status=new&status=assigned&status=in_progress&status=pending"

        def wanted(name: str) -> bool:
            return args.match.lower() in name.lower()

        def step(result: Result) -> None:
            results.append(result)
            flag = {True: "ok", False: "SLOW", None: ""}[result.ok]
            print(
                f"  {result.name:<46} p50 {result.p50_ms:7.1f}  p95 {result.p95_ms:7.1f} ms  "
                f"server CPU {result.server_cpu_ms:6.1f} ms  {flag} {result.note}"
            )

        pages = [
            ("queue page: default tab", "/desk/"),
            ("queue page: all tickets", "/desk/?queue=all"),
            ("queue page: status=pending", "/desk/?status=pending"),
            ("queue page: all, priority=P1", "/desk/?queue=all&priority=1"),
            (f"queue page: group={seed.GROUPS[1]}, in progress", f"/desk/?queue=all&group={g}&status=in_progress"),
            ("queue page: open, by SLA due", "/desk/?ordering=sla_due"),
            ("queue page: all, search word", "/desk/?queue=all&q=printer"),
        ]
        if "pages" in args.only:
            print("Pages (session login):")
            for name, path in filter(lambda p: wanted(p[0]), pages):
                step(measure(agent, name, "page", [path], target_ms=TARGET_P95_MS, **opts))
            if wanted("ticket page: random numbers"):
                step(
                    measure(
                        agent,
                        "ticket page: random numbers",
                        "page",
                        [f"/tickets/{n}/" for n in fx["numbers"]],
                        **{**opts, "warmup": 0},
                    )
                )
            if wanted("my work page (technician)"):
                step(measure(tech_page, "my work page (technician)", "page", ["/work/"], **opts))

        api = "/api/v1/tickets/?page_size=25"
        api_scenarios = [
            ("api agent: all, newest first", api_agent, api),
            ("api agent: open, by SLA due", api_agent, f"{api}&{open_statuses}&ordering=sla_due"),
            ("api agent: group + in_progress", api_agent, f"{api}&group={g}&status=in_progress"),
            ("api agent: P1, recently updated", api_agent, f"{api}&priority=1&ordering=-updated_at"),
            ("api agent: page 5", api_agent, f"{api}&page=5"),
            ("api agent: search asset tag", api_agent, f"{api}&search={fx['asset_tag']}"),
            ("api agent: search word", api_agent, f"{api}&search=printer"),
            ("api tech: visible, newest first", api_tech, api),
            ("api tech: mine, open", api_tech, f"{api}&assignee={tech_id}&{open_statuses}"),
            ("api tech: recently updated", api_tech, f"{api}&ordering=-updated_at"),
        ]
        if "api" in args.only:
            print("List API (token, page_size=25):")
            for name, client, path in filter(lambda p: wanted(p[0]), api_scenarios):
                step(measure(client, name, "api", [path], target_ms=TARGET_P95_MS, **opts))
        for c in (agent, tech_page, api_agent, api_tech):
            c.close()

        if args.create_seconds > 0 and "create" in args.only:
            print(f"Creation through the API ({args.clients} clients, {args.create_seconds:.0f} s):")
            create = measure_create(
                args.port,
                [tokens[f"agent0{i}"] for i in range(1, 5)],
                fx["requesters"],
                fx["categories"],
                clients=args.clients,
                seconds=args.create_seconds,
                cpu=cpu,
            )
            flag = "ok" if create.ok else "BELOW TARGET"
            print(
                f"  {create.created} tickets in {args.create_seconds:.0f} s = {create.rate_per_s} tickets/s "
                f"(p50 {create.p50_ms} ms, p95 {create.p95_ms} ms, errors {create.errors})  {flag} {create.note}"
            )
    finally:
        stop_server(proc)
        cleanup(max_id)
        connection.close()

    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            # Other work on the machine skews every figure: the 1-minute load before and after the run.
            "load_before": load_before,
            "load_after": round(os.getloadavg()[0], 2),
        },
        "server": {"workers": args.workers, "threads": args.threads, "debug": False},
        "tickets": tickets_now,
        "seed": seeding,
        "method": {
            "requests_per_scenario": args.requests,
            "warmup": args.warmup,
            "latency": "one client, sequential keep-alive requests; nearest-rank percentiles; ms",
        },
        "targets": {"p95_ms": TARGET_P95_MS, "create_per_s": TARGET_CREATE_RATE},
        "results": [{k: v for k, v in asdict(r).items() if k != "samples"} | {"ok": r.ok} for r in results],
        "create": (asdict(create) | {"ok": create.ok}) if create else None,
    }
    return report


def cleanup(max_id: int) -> None:
    """Delete what the run created (through the ORM, so every dependent row goes too) and flush its Redis db."""
    from tickets.models import Ticket

    deleted = Ticket.objects.filter(pk__gt=max_id).delete()[1].get("tickets.Ticket", 0)
    if deleted:
        print(f"Deleted the {deleted} tickets the run created.")
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    except Exception as exc:  # the report still matters more than the flush
        print(f"Could not flush {REDIS_URL}: {exc}")


def print_table(report: dict) -> None:
    print()
    m = report["machine"]
    print(
        f"Service desk bench — {report['tickets']:,} tickets, {m['cpus']} CPUs, "
        f"load average {m['load_before']} before / {m['load_after']} after"
    )
    print("cpu = server CPU per request (gunicorn + PostgreSQL), ms: what latency would be on an idle machine")
    seed_info = report["seed"]
    if seed_info.get("seeded"):
        print(f"Seeded {seed_info['seeded']:,} tickets in {seed_info['seconds']} s")
    header = f"{'scenario':<46} {'n':>4} {'mean':>7} {'p50':>7} {'p95':>7} {'max':>7} {'cpu':>6}  target"
    print(header)
    print("-" * len(header))
    for r in report["results"]:
        verdict = "" if r["ok"] is None else ("ok" if r["ok"] else "MISSED")
        target = f"p95<{r['target_ms']:.0f} {verdict}" if r["target_ms"] else ""
        errors = f"  {r['errors']} errors" if r["errors"] else ""
        print(
            f"{r['name']:<46} {r['n']:>4} {r['mean_ms']:>7.1f} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} "
            f"{r['max_ms']:>7.1f} {r['server_cpu_ms']:>6.1f}  {target}{errors}"
        )
    c = report["create"]
    if c:
        verdict = "ok" if c["ok"] else "MISSED"
        print(
            f"{'create via API, ' + str(c['clients']) + ' clients':<46} {c['created']:>4} tickets in "
            f"{c['seconds']:.0f} s = {c['rate_per_s']} /s (p50 {c['p50_ms']}, p95 {c['p95_ms']} ms, "
            f"server CPU {c['server_cpu_ms']} ms a ticket)  "
            f"≥{c['target_rate']:.0f}/s {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the bench database (seeded once)")
    parser.add_argument("--reseed", action="store_true", help="drop the bench database and seed it anew")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per scenario first")
    parser.add_argument("--max-seconds", type=float, default=60, help="time cap per scenario")
    parser.add_argument("--create-seconds", type=float, default=20, help="creation run length (0: skip)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for creation")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--only", default="pages,api,create", help="comma-separated: pages, api, create")
    parser.add_argument("--match", default="", help="run only scenarios whose name contains this")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    args.only = {part.strip() for part in args.only.split(",")}
    report = run(args)
    print_table(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
