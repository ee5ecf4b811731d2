"""Appends per second to the consent ledger with 1, 8 and 32 concurrent writers.

    .venv/bin/python bench/ledger.py [--writers 1 8 32] [--duration 5]
        [--postgres postgres://postgres@127.0.0.1:5432/sayso_ledger_bench] [--no-sqlite]

Prints figures, asserts nothing. For each database (a throwaway SQLite file, and the
PostgreSQL database named, which is dropped and created afresh) it migrates, then runs each
number of writer threads (each its own connection) appending consent entries for
`--duration` seconds through the same path as every decision: core.db.retrying around one
transaction, the head row locked, the entry chained. It prints appends/s, p50 and p99 time
per append, how many gave up with "please try again", and checks the chain afterwards.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(database_url, workdir):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import configure as configure_production

    configure_production(workdir, database_url)


def recreate_postgres(url):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_one(writers, duration):
    """One measurement in this process's database: returns a JSON-able dict."""
    from django.db import connection, transaction

    from consent.ledger import verify_chain
    from consent.models import ConsentEntry
    from core.db import retrying
    from core.exceptions import LedgerBusy

    @retrying
    @transaction.atomic
    def append(i):
        ConsentEntry(
            decision=ConsentEntry.Decision.CHANGES_REQUESTED,
            method=ConsentEntry.Method.SYSTEM,
            message=f"bench {i}",
        ).save()

    before = ConsentEntry.objects.count()
    barrier = threading.Barrier(writers + 1)
    latencies, busy, errors = [], [0], []
    lock = threading.Lock()
    stop_at = [0.0]

    def writer(n):
        mine = []
        try:
            barrier.wait()
            i = 0
            while time.perf_counter() < stop_at[0]:
                started = time.perf_counter()
                try:
                    append(f"{n}-{i}")
                except LedgerBusy:
                    with lock:
                        busy[0] += 1
                    continue
                mine.append(time.perf_counter() - started)
                i += 1
        except Exception as error:  # noqa: BLE001 - reported in the table
            errors.append(repr(error))
        finally:
            with lock:
                latencies.extend(mine)
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + duration
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    appended = ConsentEntry.objects.count() - before
    problems, _count = verify_chain()
    ordered = sorted(latencies)
    return {
        "writers": writers,
        "appends": appended,
        "per_second": appended / elapsed,
        "p50_ms": 1000 * statistics.median(ordered) if ordered else None,
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))] if ordered else None,
        "gave_up": busy[0],
        "errors": errors[:3],
        "chain_ok": not problems and appended == len(latencies),
    }


def child(args):
    workdir = Path(tempfile.mkdtemp(prefix="sayso-bench-ledger-"))
    configure(args.database_url, workdir)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results = [run_one(writers, args.duration) for writers in args.writers]
    print(json.dumps(results))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument(
        "--postgres", default="postgres://postgres@127.0.0.1:5432/sayso_ledger_bench"
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database_url:
        return child(args)

    databases = []
    if args.postgres:
        recreate_postgres(args.postgres)
        databases.append(("PostgreSQL", args.postgres))
    if not args.no_sqlite:
        sqlite_dir = Path(tempfile.mkdtemp(prefix="sayso-bench-sqlite-"))
        databases.append(("SQLite", f"sqlite:///{sqlite_dir / 'bench.sqlite3'}"))

    print(f"Consent ledger appends, {args.duration:g} s per run")
    header = f"{'database':<11} {'writers':>7} {'appends':>8} {'per s':>8} {'p50 ms':>8} "
    header += f"{'p99 ms':>8} {'gave up':>8} {'chain':>6}"
    print(header)
    for name, url in databases:
        command = [sys.executable, __file__, "--database-url", url, "--duration"]
        command += [str(args.duration), "--writers", *map(str, args.writers)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            print(f"{name}: failed\n{done.stderr[-2000:]}")
            continue
        for row in json.loads(done.stdout.strip().splitlines()[-1]):
            print(
                f"{name:<11} {row['writers']:>7} {row['appends']:>8} "
                f"{row['per_second']:>8.1f} {row['p50_ms'] or 0:>8.1f} {row['p99_ms'] or 0:>8.1f} "
                f"{row['gave_up']:>8} {'ok' if row['chain_ok'] else 'BROKEN':>6}"
            )
            for error in row["errors"]:
                print(f"    error: {error}")
    return None


if __name__ == "__main__":
    main()
