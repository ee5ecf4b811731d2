"""Sayso's public-site benchmark: prints figures, asserts nothing.

    .venv/bin/python bench/run.py [--stories 200] [--campaigns 10] [--duration 10]

It builds a throwaway database (SQLite in a temp folder, or DATABASE_URL if set) with at
least 200 stories in 10 campaigns, starts gunicorn with 2 workers on 127.0.0.1, drives home,
a campaign, a story and a search with wrk (Debian's package) or, without it, a small Python
load generator, and prints requests/s, p50 and p99 latency; then the queries per uncached
page and, under load from 16 readers, the time from a withdrawal until every answer is
410 (with --withdrawal-only, just that: run it with and without REDIS_URL).
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.stack import readers_asking  # noqa: E402

# Another benchmark may be running on this machine: BENCH_PORT picks a free port.
PORT = int(os.environ.get("BENCH_PORT", 8765))


def configure(workdir, database_url=None):
    """Production settings on a throwaway database and media folder (bench/ledger.py too)."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "sayso.settings.production"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    from cryptography.fernet import Fernet

    os.environ.setdefault("SAYSO_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    # Production requires a mail server; the benchmark sends nothing anywhere.
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    # No worker runs here: search indexing and take-downs happen in the request, as before.
    os.environ.setdefault("SAYSO_TASKS_BACKEND", "immediate")
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["STATIC_ROOT"] = str(workdir / "static")
    os.environ["SAYSO_PAGE_CACHE_STAMP"] = str(workdir / "page-cache-generation")
    import django

    django.setup()


def seed(stories, campaigns):
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from wagtail.models import Page, Site

    from compensation.services import record_agreement
    from consent import services
    from stories.models import (
        CampaignIndexPage,
        CampaignPage,
        CampaignStory,
        HomePage,
        StoryIndexPage,
        StoryPage,
        Topic,
    )

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    root = Page.get_first_root_node()
    for child in root.get_children():
        child.delete()
    home = root.add_child(instance=HomePage(title="Sayso", slug="home"))
    Site.objects.all().delete()
    Site.objects.create(hostname="127.0.0.1", port=PORT, root_page=home, is_default_site=True)
    index = home.add_child(instance=StoryIndexPage(title="Stories", slug="stories"))
    campaign_index = home.add_child(instance=CampaignIndexPage(title="Campaigns", slug="campaigns"))
    topics = [Topic.objects.create(name=f"Topic {i}", slug=f"topic-{i}") for i in range(5)]
    tellers = [services.create_storyteller(pseudonym=f"Teller {i}") for i in range(20)]
    scope = services.Scope(channels=("website",), byline="pseudonym")
    editor, _created = get_user_model().objects.get_or_create(username="bench-editor")
    made = []
    for i in range(stories):
        teller = tellers[i % len(tellers)]
        story = index.add_child(
            instance=StoryPage(
                title=f"Story {i} about the harbour",
                slug=f"story-{i}",
                storyteller=teller,
                summary=f"Summary of story {i}.",
                body="<p>" + " ".join(["words"] * 300) + f" harbour{i}</p>",
                byline_kind="pseudonym",
                byline_name=teller.pseudonym,
                region="NG",
                live=False,
            )
        )
        story.topics = [topics[i % len(topics)]]
        revision = story.save_revision()
        # Published only once payment is agreed (compensation's policy, on by default).
        record_agreement(
            storyteller=teller,
            story=story,
            work="story",
            amount=Decimal("150.00"),
            currency="GBP",
            agreed_by=editor,
        )
        services.approve_story(story=story, revision=revision, user=teller.user, scope=scope)
        revision.publish()
        made.append(story)
    per_campaign = stories // campaigns
    for c in range(campaigns):
        campaign = CampaignPage(title=f"Campaign {c}", slug=f"campaign-{c}", intro="<p>Intro</p>")
        campaign.campaign_stories = [
            CampaignStory(story=s, sort_order=n)
            for n, s in enumerate(made[c * per_campaign : (c + 1) * per_campaign])
        ]
        campaign_index.add_child(instance=campaign)
        campaign.save_revision().publish()
    return made


def wait_for_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def get(path, header=None):
    # A worker's first request imports and warms everything: slow on a loaded machine.
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    if header:
        return response.status, response.getheader(header)
    return response.status


def run_wrk(path, duration):
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(label):
        value, unit = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return rps, latency("50%"), latency("99%")


def run_python(path, duration, connections=16):
    latencies, stop = [], time.time() + duration
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        mine = []
        while time.time() < stop:
            start = time.perf_counter()
            conn.request("GET", path)
            conn.getresponse().read()
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return len(latencies) / duration, statistics.median(latencies), p99


def measure_withdrawal(story, connections):
    """Readers hammer the story while its storyteller withdraws; prints how long until every
    answer is 410 and how many 200s were given for requests sent after the commit."""
    from consent import services

    with readers_asking(PORT, f"/stories/{story.slug}/", connections, timeout=120) as answers:
        time.sleep(1)  # under load, every worker serving the story from its cache
        asked = time.monotonic()
        services.withdraw_story(story=story, user=story.storyteller.user)
        committed = time.monotonic()
        time.sleep(1)
    after = [a for a in answers if a.sent >= committed]
    stale = [a for a in after if a.status == 200]
    last_ok = max((a.answered for a in answers if a.status == 200), default=asked)
    first_gone = min((a.answered for a in answers if a.status == 410), default=float("nan"))
    print(
        f"withdrawal under load ({connections} readers): commit took "
        f"{(committed - asked) * 1000:.0f} ms; first 410 after "
        f"{(first_gone - asked) * 1000:.0f} ms; last 200 answered "
        f"{(last_ok - asked) * 1000:.0f} ms after the withdrawal began; "
        f"200s for requests sent after the commit: {len(stale)} of {len(after)}"
    )


def count_queries(paths):
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for label, path in paths:
        cache.clear()
        from stories.cache import purge_all

        purge_all()
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path).status_code
        counts[label] = (len(queries), status)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=200)
    parser.add_argument("--campaigns", type=int, default=10)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--withdrawal-only",
        action="store_true",
        help="only measure withdrawal to 410 under load (run with and without REDIS_URL)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sayso-bench-"))
    configure(workdir)
    from django.conf import settings

    print(
        f"database: {settings.DATABASES['default']['ENGINE']}; "
        f"cache: {settings.CACHES['default']['BACKEND']}; cores: {os.cpu_count()}"
    )
    started = time.time()
    stories = seed(args.stories, args.campaigns)
    print(
        f"seeded {args.stories} stories in {args.campaigns} campaigns in "
        f"{time.time() - started:.0f}s"
    )

    sample = stories[len(stories) // 2]
    paths = [
        ("home", "/"),
        ("campaign", f"/campaigns/campaign-{args.campaigns // 2}/"),
        ("story", f"/stories/{sample.slug}/"),
        ("search", "/search/?q=harbour"),
    ]
    for label, (n, status) in count_queries(paths).items():
        print(f"queries per uncached page: {label:<9} {n:>3} (HTTP {status})")

    server = subprocess.Popen(
        [
            shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{PORT}",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        wait_for_port(PORT)
        if args.withdrawal_only:
            for _ in range(8):  # warm and fill both workers' caches
                get(f"/stories/{sample.slug}/")
            measure_withdrawal(sample, connections=16)
            return
        loader = "wrk" if shutil.which("wrk") else "python"
        print(f"load generator: {loader}, {args.duration}s per page, gunicorn 2 workers")
        print(f"{'page':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for label, path in paths:
            get(path)  # warm the cache in both workers
            get(path)
            status, cached = get(path, "X-Sayso-Cache")
            if (status, cached) != (200, "hit"):
                print(f"  note: {path} answered {status}, cache {cached}")
            run = run_wrk if loader == "wrk" else run_python
            rps, p50, p99 = run(path, args.duration)
            print(f"{label:<9} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f}")

        measure_withdrawal(sample, connections=16)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
