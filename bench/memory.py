"""Memory: a gunicorn worker's resident memory over 10,000 requests.

Starts the production configuration (``prodserver``) with one worker on a throwaway
PostgreSQL database and sends it 10,000 requests from 4 client threads, cycling through 60
different public URLs (dashboard, Matrix with filters, sorting, pages and searches, the
recommendation and mandate-holder pages, editions list, feeds, the API, downloads in each
format). It reads the worker's VmRSS every 1,000 requests. Target: after 10,000 requests,
within 20% of its size after the first 1,000.

Two runs, each its own server: with the public pages' cache (the default; each worker keeps its
pages in its memory, so the first round of URLs fills it) and without it
(PUBLIC_CACHE_SECONDS=0: every request renders its page).

    .venv/bin/python bench/memory.py
    .venv/bin/python bench/memory.py --requests 20000 --only uncached
    .venv/bin/python bench/memory.py --only junk    # 1,500 addresses with junk parameters

Then the junk run: the cached worker after the 60 URLs, and after 1,500 more that each add a
parameter no page reads. Target: less than 10 MiB more (they share the pages' cache entries).
"""

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import prodserver

URLS = [
    "/",
    "/matrix/",
    "/matrix/?per_page=400",
    "/matrix/?per_page=25&page=7",
    "/matrix/?page=4",
    "/matrix/?cluster=I",
    "/matrix/?cluster=II&sort=-number",
    "/matrix/?cluster=III&sort=assessment",
    "/matrix/?responsibility=court",
    "/matrix/?responsibility=assembly&sort=-implementation",
    "/matrix/?assessment=none",
    "/matrix/?assessment=none&implementation=none&sort=-changed",
    "/matrix/?q=prosecutor",
    "/matrix/?q=R1-R50",
    "/matrix/?q=judges",
    "/matrix/?mandate_holder=otp",
    "/matrix/?mandate_holder=registry&per_page=50",
    "/matrix/?priority=unknown",
    "/matrix/?section=I.B",
    "/matrix/?changed_since=2024-01-01",
    "/matrix/?page=999",
    "/matrix/?cluster=nonsense",
    "/recommendations/R1/",
    "/recommendations/R14/",
    "/recommendations/R27/",
    "/recommendations/R100/",
    "/recommendations/R200/",
    "/recommendations/R227/",
    "/recommendations/R300/",
    "/recommendations/R363/",
    "/recommendations/R384/",
    "/mandate-holders/",
    "/mandate-holders/otp/",
    "/mandate-holders/registry/",
    "/mandate-holders/cbf/",
    "/mandate-holders/otp/report/",
    "/editions/",
    "/open-data/",
    "/compare/",
    "/feeds/changes.atom",
    "/matrix/feed.atom",
    "/matrix/feed.atom?cluster=I",
    "/recommendations/R14/feed.atom",
    "/mandate-holders/otp/feed.atom",
    "/api/v1/",
    "/api/v1/recommendations/",
    "/api/v1/recommendations/?cluster=I&page_size=400",
    "/api/v1/recommendations/R14/",
    "/api/v1/recommendations/R14/history/",
    "/api/v1/vocabularies/",
    "/api/v1/mandate-holders/",
    "/api/v1/mandate-holders/otp/",
    "/api/v1/editions/",
    "/matrix.csv",
    "/matrix.json",
    "/matrix.xlsx?cluster=I",
    "/matrix.ods?cluster=II",
    "/recommendations/R14.csv",
    "/mandate-holders/otp.xlsx",
    "/matrix/?q=gravity&sort=-number",
]
assert len(URLS) == 60
CHECKPOINT = 1000
THREADS = 4


def run(name: str, url: str, requests: int, **env: str) -> list[tuple[int, int]]:
    """[(requests so far, worker's VmRSS in KiB)] every CHECKPOINT requests."""
    with prodserver.Server(url, workers=1, **env) as server:
        (worker,) = server.workers()
        for path in URLS:  # every URL answers (the API may throttle: raise its rate)
            status = prodserver.get(server.base + path, timeout=60)[0]
            assert status == 200, (path, status)
        readings = [(0, prodserver.rss_kib(worker))]
        sent = 0
        lock = threading.Lock()
        statuses: dict[int, int] = {}

        def client(offset: int) -> None:
            nonlocal sent
            position = offset
            while True:
                with lock:
                    if sent >= requests:
                        return
                    sent += 1
                    count = sent
                status = prodserver.get(server.base + URLS[position % len(URLS)], timeout=60)[0]
                position += 1
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if count % CHECKPOINT == 0:
                        readings.append((count, prodserver.rss_kib(worker)))

        threads = [threading.Thread(target=client, args=(n * 15,)) for n in range(THREADS)]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
        assert server.workers() == [worker], "the worker was restarted: the figures are void"
        prodserver.say(
            f"{name}: {requests:,} requests in {elapsed:.0f} s, statuses"
            f" {dict(sorted(statuses.items()))}"
        )
    return readings


JUNK = 1500


def junk(url: str, **env: str) -> tuple[int, int]:
    """The worker's VmRSS (KiB) after the 60 URLs, then after JUNK more that add a parameter no
    page reads (``?x<n>=<n>``, as a crawler or a probe sends): they share the pages' entries."""
    with prodserver.Server(url, workers=1, **env) as server:
        (worker,) = server.workers()
        for _round in range(2):
            for path in URLS:
                assert prodserver.get(server.base + path, timeout=60)[0] == 200, path
        before = prodserver.rss_kib(worker)
        statuses: dict[int, int] = {}
        for number in range(JUNK):
            path = URLS[number % len(URLS)]
            separator = "&" if "?" in path else "?"
            status = prodserver.get(f"{server.base}{path}{separator}x{number}={number}")[0]
            statuses[status] = statuses.get(status, 0) + 1
        after = prodserver.rss_kib(worker)
        assert server.workers() == [worker], "the worker was restarted: the figures are void"
        prodserver.say(f"junk: {JUNK:,} addresses, statuses {dict(sorted(statuses.items()))}")
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--only", choices=["cached", "uncached", "junk"], action="append")
    parser.add_argument("--database-url", default=prodserver.DEFAULT_URL)
    args = parser.parse_args()

    prodserver.say(f"load average: {prodserver.load_average()}")
    url = prodserver.prepare_database(args.database_url)
    prodserver.collectstatic(url)
    configurations = {
        "cached": {},
        "uncached": {"PUBLIC_CACHE_SECONDS": "0"},
    }
    results = {}
    # The API's throttle would answer 429 after 1,000 requests an hour from one address.
    common = {"API_ANON_RATE": "1000000/hour"}
    for name in [n for n in args.only or list(configurations) if n != "junk"]:
        prodserver.say(f"{name}: {args.requests:,} requests ...")
        results[name] = run(name, url, args.requests, **configurations[name], **common)

    failed = False
    if not args.only or "junk" in args.only:
        before, after = junk(url, **common)
        added = (after - before) / 1024
        prodserver.say(
            f"junk: the cached worker {before / 1024:.1f} MiB after the 60 URLs (twice),"
            f" {after / 1024:.1f} MiB after {JUNK:,} junk addresses: {added:+.1f} MiB"
        )
        if added >= 10:
            failed = True
            prodserver.say(f"TARGET MISSED: {JUNK:,} junk addresses added {added:.1f} MiB")
    for name, readings in results.items():
        prodserver.say()
        prodserver.say(f"{name}: the worker's resident memory (VmRSS)")
        prodserver.say("| requests | MiB | vs. after 1,000 |")
        prodserver.say("|---|---|---|")
        base = dict(readings)[CHECKPOINT]
        for count, kib in readings:
            prodserver.say(f"| {count:,} | {kib / 1024:.1f} | {(kib - base) / base:+.1%} |")
        growth = (readings[-1][1] - base) / base
        if growth > 0.20:
            failed = True
            prodserver.say(f"TARGET MISSED: {name}: {growth:+.1%} after {readings[-1][0]:,}")
    prodserver.say()
    if not failed:
        prodserver.say(
            "Targets met: within 20% of the size after the first 1,000 requests;"
            f" {JUNK:,} junk addresses add less than 10 MiB."
        )


if __name__ == "__main__":
    main()
