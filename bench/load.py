"""Load: requests per second and latency under wrk, against the production configuration.

Prepares a throwaway PostgreSQL database (reference and demonstration data), starts gunicorn
as ``make serve`` does (DEBUG off, WEB_CONCURRENCY workers, default 2, on loopback), and runs
wrk against each page in turn: the floor (``/bench-trivial/``, a view returning "ok" through
the same middleware, served by the same gunicorn), the dashboard, the full Matrix (all 384
rows), a filtered Matrix and a recommendation page. Three configurations, each its own server:

* cached, local memory: the default with no REDIS_URL (each worker keeps its own pages);
* cached, Redis: REDIS_URL set, the pages shared by the workers (and by several servers);
* uncached: PUBLIC_CACHE_SECONDS=0, every request renders the page.

It prints one row per page and configuration: requests per second, latency percentiles, the
ratio to the floor of the same run, and the responses that were not 2xx, counted in gunicorn's
access log (wrk counts the sockets' errors apart). Targets: cached pages at least half the
floor's throughput, and zero non-2xx responses for 60 s at 64 connections.

    .venv/bin/python bench/load.py                      # 60 s a page, 64 connections
    .venv/bin/python bench/load.py --duration 10        # quicker
    .venv/bin/python bench/load.py --only cached-redis  # one configuration

Needs wrk (``apt-get install -y wrk``), PostgreSQL and, for the Redis row, Redis on
127.0.0.1:6379. wrk runs on the same two cores as gunicorn and PostgreSQL: compare the ratios
of one run rather than absolute figures across runs.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import prodserver

PAGES = [
    ("floor: trivial view", "/bench-trivial/"),
    ("dashboard", "/"),
    ("Matrix, all 384 rows", "/matrix/?per_page=400"),
    ("Matrix, filtered", "/matrix/?cluster=I&assessment=none&sort=-changed"),
    ("recommendation R14", "/recommendations/R14/"),
]
CONFIGURATIONS = {
    "cached-memory": {},
    "cached-redis": {"REDIS_URL": "redis://127.0.0.1:6379/7"},
    "uncached": {"PUBLIC_CACHE_SECONDS": "0"},
}

# One line of JSON at the end. No response() callback: wrk would hand every body to Lua, and
# measure itself more than the server. The statuses are counted from gunicorn's access log.
LUA = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "p50": %d, "p90": %d, "p99": %d, "max": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def statuses(lines: list[str]) -> Counter:
    """The statuses of gunicorn's access log lines (JSON, iertracker/gunicorn.conf.py)."""
    found = Counter()
    for line in lines:
        match = re.search(r'"logger": "access".*"status": (\d+)', line)
        if match:
            found[int(match.group(1))] += 1
    return found


def wrk(url: str, *, duration: int, connections: int, threads: int, script: Path) -> dict:
    completed = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def ms(microseconds: int) -> str:
    return f"{microseconds / 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds a page (60)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--only", choices=sorted(CONFIGURATIONS), action="append")
    parser.add_argument("--database-url", default=prodserver.DEFAULT_URL)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    prodserver.say(f"load average: {prodserver.load_average()}")
    url = prodserver.prepare_database(args.database_url)
    prodserver.collectstatic(url)
    script = Path(tempfile.mkdtemp()) / "count.lua"
    script.write_text(LUA)
    rows = []
    for name in args.only or list(CONFIGURATIONS):
        env = CONFIGURATIONS[name]
        if "REDIS_URL" in env:
            subprocess.run(["redis-cli", "-n", "7", "flushdb"], check=True, capture_output=True)
        with prodserver.Server(url, workers=args.workers, **env) as server:
            for label, path in PAGES:
                # Warm-up: every worker renders the page once (and keeps it, if cached).
                for _ in range(args.workers * 2):
                    status, headers, _body = prodserver.get(server.base + path)
                    assert status == 200, (path, status)
                cache_state = headers.get("X-Cache", "not kept")
                prodserver.say(f"{name:<14} {label:<22} {args.duration} s ...")
                logged = len(server.log_lines())
                result = wrk(
                    server.base + path,
                    duration=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                    script=script,
                )
                time.sleep(1)  # the last access lines
                counted = statuses(server.log_lines()[logged:])
                result["non2xx"] = sum(n for code, n in counted.items() if not 200 <= code < 300)
                result["logged"] = sum(counted.values())
                rows.append((name, label, cache_state, result))
    floor = {name: result["rps"] for name, label, _, result in rows if label.startswith("floor")}

    prodserver.say()
    prodserver.say(
        f"wrk: {args.connections} connections, {args.threads} threads, {args.duration} s a page;"
        f" gunicorn {args.workers} sync workers; PostgreSQL; load average now"
        f" {prodserver.load_average()}"
    )
    header = (
        "| configuration | page | X-Cache | req/s | ratio to floor | p50 ms | p90 ms | p99 ms "
        "| max ms | non-2xx | socket errors |"
    )
    prodserver.say(header)
    prodserver.say("|" + "---|" * (header.count("|") - 1))
    failed = []
    for name, label, cache_state, r in rows:
        errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
        prodserver.say(
            f"| {name} | {label} | {cache_state} | {r['rps']:,.0f} | {r['rps'] / floor[name]:.2f}"
            f" | {ms(r['p50'])} | {ms(r['p90'])} | {ms(r['p99'])} | {ms(r['max'])}"
            f" | {r['non2xx']} | {errors} |"
        )
        if r["non2xx"] or errors:
            failed.append(f"{name} {label}: {r['non2xx']} non-2xx, {errors} socket errors")
        if name.startswith("cached") and r["rps"] < floor[name] / 2:
            failed.append(f"{name} {label}: below half the floor")
    prodserver.say()
    for line in failed:
        prodserver.say(f"TARGET MISSED: {line}")
    if not failed:
        prodserver.say(
            "Targets met: cached pages at least half the floor, no response other than 2xx."
        )


if __name__ == "__main__":
    main()
