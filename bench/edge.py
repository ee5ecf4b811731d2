"""Sayso's story page through the edge, side by side with what this machine can do.

    .venv/bin/python bench/edge.py [--stories 20] [--runs 3] [--duration 10]

Prints, from one run: the static-file ceiling (nginx serving a saved copy of the story
page), the story via the edge (Varnish, deploy/varnish/sayso.vcl), from gunicorn with its
page cache and from gunicorn uncached (2 sync workers each, as bench/run.py), each with
`wrk -t2 -c8 -d10s --latency`, the median of 3 runs; then, with 8 readers polling the story
through the edge, how long a withdrawal takes to answer 410 there and how many 200s were
given for requests sent after it committed (time.monotonic: one clock for every process).
Targets: edge ≥ 50% of the ceiling, p99 < 5 ms,
withdrawal → 410 < 1 s with 0 stale. Ports: BENCH_EDGE_PORT (8100) and the next three.
Asserts nothing; needs varnishd, nginx and wrk (Debian's varnish, nginx-light, wrk).
"""

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.stack import Stack, readers_asking, stack_environment, wait_for_port  # noqa: E402

EDGE = int(os.environ.get("BENCH_EDGE_PORT", 8100))
APP, UNCACHED_APP, NGINX = EDGE + 1, EDGE + 2, EDGE + 3

NGINX_CONF = """
{user}
daemon off;
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp; proxy_temp_path {dir}/tmp;
    fastcgi_temp_path {dir}/tmp; uwsgi_temp_path {dir}/tmp; scgi_temp_path {dir}/tmp;
    default_type text/html;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/html;
        location / {{ index index.html; }}
    }}
}}
"""


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


def wrk(port, path, duration):
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{duration}s", "--latency", f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)

    def latency(label):
        value, unit = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return rps, latency("50%"), latency("99%"), int(non_2xx.group(1)) if non_2xx else 0


def measure(port, path, runs, duration):
    results = [wrk(port, path, duration) for _ in range(runs)]
    return tuple(statistics.median(r[i] for r in results) for i in range(3)) + (
        sum(r[3] for r in results),
    )


def withdrawal(stack, slug, readers=8):
    with readers_asking(EDGE, f"/stories/{slug}/", readers) as answers:
        time.sleep(1)
        out = stack.helper("withdraw", slug).stdout
        time.sleep(1)
    asked = float(re.search(r"asked ([\d.]+)", out).group(1))
    visible = float(re.search(r"visible ([\d.]+)", out).group(1))
    committed = float(re.search(r"committed ([\d.]+)", out).group(1))
    # Every request sent after the commit (the withdrawing process's first on_commit hook,
    # same clock), and those sent before its purges after commit were done.
    after = [a for a in answers if a.sent >= visible]
    stale = sum(1 for a in after if a.status == 200)
    window = [a for a in answers if visible <= a.sent < committed]
    in_window = sum(1 for a in window if a.status == 200)
    first_gone = min((a.answered for a in answers if a.status == 410), default=float("nan"))
    last_ok = max((a.answered for a in answers if a.status == 200), default=asked)
    return {
        "commit_ms": (visible - asked) * 1000,
        "purged_ms": (committed - visible) * 1000,
        "in_window": in_window,
        "window": len(window),
        "first_410_ms": (first_gone - asked) * 1000,
        "last_200_ms": (last_ok - asked) * 1000,
        "stale": stale,
        "after": len(after),
        "answers": len(answers),
    }


def start_nginx(workdir, page):
    html = workdir / "nginx" / "html" / "stories" / "saved"
    html.mkdir(parents=True)
    (workdir / "nginx" / "tmp").mkdir()
    (html / "index.html").write_bytes(page)
    conf = workdir / "nginx" / "nginx.conf"
    # Run as root, nginx's workers would drop to nobody, who can't enter the private workdir.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(NGINX_CONF.format(dir=workdir / "nginx", port=NGINX, user=user))
    process = subprocess.Popen(
        ["nginx", "-c", str(conf), "-p", str(workdir / "nginx")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(NGINX, process=process)
    return process


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    for tool in ("varnishd", "nginx", "wrk"):
        if not shutil.which(tool) and not os.access(f"/usr/sbin/{tool}", os.X_OK):
            sys.exit(f"{tool} is not installed")

    workdir = Path(tempfile.mkdtemp(prefix="sayso-bench-edge-"))
    env = stack_environment(workdir, EDGE)
    env.pop("REDIS_URL", None)  # as bench/run.py: local-memory page cache, SQLite
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'stack.sqlite3'}")
    stack = Stack(EDGE, [APP], workdir=workdir, env=env, worker=False)
    uncached = Stack(
        EDGE,
        [UNCACHED_APP],
        workdir=workdir,
        env={**env, "SAYSO_PAGE_CACHE_SECONDS": "0"},
        worker=False,
    )
    nginx = None
    try:
        started = time.time()
        stack.helper("seed", str(args.stories))
        seconds = time.time() - started
        print(f"seeded {args.stories} stories in {seconds:.0f}s; cores: {os.cpu_count()}")
        stack.start_app_servers()
        stack.start_edge()
        uncached.start_app_servers()
        slug = f"story-{args.stories // 2}"
        path = f"/stories/{slug}/"
        for _ in range(4):
            status, headers, page = get(APP, path)
        assert (status, headers.get("X-Sayso-Cache")) == (200, "hit"), (status, headers)
        get(EDGE, path)
        status, headers, _body = get(EDGE, path)
        assert (status, headers.get("X-Sayso-Edge")) == (200, "hit"), headers
        status, headers, _body = get(UNCACHED_APP, path)
        get(UNCACHED_APP, path)
        assert status == 200 and headers.get("X-Sayso-Cache") != "hit", headers
        nginx = start_nginx(workdir, page)
        saved = get(NGINX, "/stories/saved/")
        assert saved[2] == page, (saved[0], saved[1], len(saved[2]), len(page))

        print(
            f"story page {len(page)} bytes; wrk -t2 -c8 -d{args.duration}s --latency, "
            f"median of {args.runs} runs; gunicorn 2 sync workers, SQLite, local-memory cache"
        )
        rows = [
            ("static ceiling (nginx, saved page)", NGINX, "/stories/saved/"),
            ("story via the edge (Varnish)", EDGE, path),
            ("story from gunicorn, cached", APP, path),
            ("story from gunicorn, uncached", UNCACHED_APP, path),
        ]
        print(f"{'':<38} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'% ceiling':>10}")
        ceiling = None
        for label, port, url in rows:
            rps, p50, p99, errors = measure(port, url, args.runs, args.duration)
            ceiling = ceiling or rps
            note = f"  ({errors} non-2xx)" if errors else ""
            print(f"{label:<38} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {rps / ceiling:>9.1%}{note}")

        result = withdrawal(stack, slug)
        print(
            f"withdrawal under load (8 readers via the edge, {result['answers']} answers): "
            f"committed {result['commit_ms']:.0f} ms after it was asked, purges done "
            f"{result['purged_ms']:.0f} ms later; first 410 at the edge "
            f"{result['first_410_ms']:.0f} ms and last 200 {result['last_200_ms']:.0f} ms "
            f"after it was asked"
        )
        print(
            f"  200s for requests sent after the commit: {result['stale']} of "
            f"{result['after']}; of those sent between its commit and its purges after "
            f"commit: {result['in_window']} of {result['window']}"
        )
    finally:
        if nginx is not None:
            os.killpg(nginx.pid, 15)
            nginx.wait(timeout=20)
        uncached.stop()
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
