"""The whole Sayso stack on one machine: edge (Varnish) → 2 app servers (gunicorn) →
PostgreSQL and Redis, plus the task worker when the project has one.

    .venv/bin/python -m deploy.stack run      (what `make stack` runs; Ctrl-C stops it all)

Settings come from the environment, as in production (README, "Running in production"):
DATABASE_URL, REDIS_URL, SECRET_KEY, SAYSO_ENCRYPTION_KEYS, ... ; the ports from
STACK_EDGE_PORT (8080) and STACK_APP_PORTS (8001,8002). Anything not set gets a local
default printed at start. The stack test (tests/integration/stack/test_edge_stack.py) and
bench/edge.py start the same processes through ``Stack``; the other subcommands are what
they run in a separate process against the stack's database:

    python -m deploy.stack seed N        N consented stories in 2 campaigns (bench/run.py's)
    python -m deploy.stack withdraw SLUG [GAP]   prints "visible <monotonic time>" as soon as
                                         it commits, then waits GAP seconds before its purges
                                         after commit, "committed <time>" once it returned
    python -m deploy.stack retitle SLUG TITLE    publishes a campaign under a new title
    python -m deploy.stack retry         runs the edge purge retry task; prints what is owed
    python -m deploy.stack owed          prints how many edge purges are owed
"""

import atexit
import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
VARNISH_DIR = ROOT / "deploy" / "varnish"
# No client address, URL or header in Varnish's in-memory log (read by varnishlog/ncsa).
VSL_MASK = (
    "-SessOpen,-ReqStart,-ReqHeader,-ReqUnset,-ReqURL,-BereqHeader,-BereqUnset,-BereqURL,"
    "-RespHeader,-RespUnset,-ObjHeader,-BerespHeader,-Link"
)


def varnishd():
    """The varnishd binary, or None where Varnish isn't installed."""
    return shutil.which("varnishd") or (
        "/usr/sbin/varnishd" if os.access("/usr/sbin/varnishd", os.X_OK) else None
    )


def wait_for_port(port, timeout=60, process=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {timeout}s")


class Answer(NamedTuple):
    """One reader's request: when sent and answered (time.monotonic), and what came back."""

    sent: float
    answered: float
    status: int
    edge: str | None  # the edge's X-Sayso-Edge header: "hit", "miss", ...


@contextlib.contextmanager
def readers_asking(port, path, readers, timeout=60):
    """Readers asking 127.0.0.1:port for path, again and again, while the block runs.

    Yields a list that holds every reader's answers (Answer) once the block has ended: the
    benchmarks and the stack test watch a withdrawal through it.
    """
    answers, lock, stop = [], threading.Lock(), threading.Event()

    def reader():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        mine = []
        while not stop.is_set():
            sent = time.monotonic()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            mine.append(
                Answer(sent, time.monotonic(), response.status, response.getheader("X-Sayso-Edge"))
            )
        conn.close()
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    try:
        yield answers
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def backends_vcl(app_ports, purgers=("127.0.0.1", "localhost")):
    """sayso-backends.vcl for app servers on this machine."""
    lines = [
        "probe sayso_alive {",
        '    .url = "/static/css/site.css";',
        "    .interval = 1s;",
        "    .timeout = 1s;",
        "    .window = 3;",
        "    .threshold = 1;",
        "    .initial = 1;",
        "}",
    ]
    for number, port in enumerate(app_ports, start=1):
        lines += [
            f"backend app{number} {{",
            '    .host = "127.0.0.1";',
            f'    .port = "{port}";',
            "    .probe = sayso_alive;",
            "}",
        ]
    lines += ["acl sayso_purgers {", *[f'    "{p}";' for p in purgers], "}"]
    lines += ["sub vcl_init {", "    new sayso_app = directors.round_robin();"]
    lines += [f"    sayso_app.add_backend(app{n});" for n in range(1, len(app_ports) + 1)]
    lines += ["}"]
    return "\n".join(lines) + "\n"


def stack_environment(workdir, edge_port, overrides=None):
    """Production settings for a local stack, from the environment where it says so."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "sayso.settings.production",
            "SECURE_SSL_REDIRECT": "false",
            "SAYSO_EDGE_URLS": f"http://127.0.0.1:{edge_port}",
            "PYTHONPATH": str(ROOT),
            "STACK_EDGE_PORT": str(edge_port),
        }
    )
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'stack.sqlite3'}")
    env.setdefault("SECRET_KEY", "local-stack-only-" + "x" * 40)
    env.setdefault("SAYSO_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    # Mail is written to files in the stack's folder, never sent from a local stack.
    env.setdefault("EMAIL_URL", f"filemail://{workdir / 'mail'}")
    env.setdefault("MEDIA_ROOT", str(workdir / "media"))
    env.setdefault("STATIC_ROOT", str(workdir / "static"))
    env.setdefault("SAYSO_PAGE_CACHE_STAMP", str(workdir / "page-cache-generation"))
    env.update(overrides or {})
    return env


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


class Stack:
    """Starts the edge, the app servers and (if there is one) the task worker; stops them
    all, whatever happened, on ``stop()``, on leaving a ``with`` block and at exit."""

    def __init__(
        self, edge_port, app_ports, workdir=None, env=None, workers=2, worker=None, purgers=None
    ):
        self.edge_port = edge_port
        self.purgers = purgers or ("127.0.0.1", "localhost")
        self.app_ports = list(app_ports)
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sayso-stack-"))
        self.env = env or stack_environment(self.workdir, edge_port)
        self.workers = workers
        self.worker = worker
        self.processes = []
        atexit.register(self.stop)
        # atexit doesn't run on a signal: make one end the program normally (make, timeout
        # and CI stop it with SIGTERM), so the stack stops with it.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) in (signal.SIG_DFL, None):
                signal.signal(signum, _exit_on_signal)

    def manage(self, *args, **kwargs):
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            **kwargs,
        )

    def helper(self, *args, env=None, **kwargs):
        """Runs `python -m deploy.stack ARGS` against this stack's database."""
        return subprocess.run(
            [sys.executable, "-m", "deploy.stack", *args],
            cwd=ROOT,
            env=env or self.env,
            check=True,
            capture_output=True,
            text=True,
            **kwargs,
        )

    def _spawn(self, args, log_name):
        log = open(self.workdir / log_name, "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with all its children
        )
        process.log = log
        self.processes.append(process)
        return process

    def start_app_servers(self):
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        for port in self.app_ports:
            process = self._spawn(
                [
                    gunicorn,
                    "-c",
                    str(ROOT / "gunicorn.conf.py"),
                    "--workers",
                    str(self.workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                ],
                f"gunicorn-{port}.log",
            )
            wait_for_port(port, process=process)

    def start_edge(self):
        binary = varnishd()
        if binary is None:
            raise RuntimeError("varnishd is not installed (apt-get install varnish)")
        vcl_dir = self.workdir / "vcl"
        vcl_dir.mkdir(exist_ok=True)
        (vcl_dir / "sayso-backends.vcl").write_text(backends_vcl(self.app_ports, self.purgers))
        process = self._spawn(
            [
                binary,
                "-F",
                "-j",
                "none",
                "-n",
                str(self.workdir / "varnish"),
                "-a",
                f"127.0.0.1:{self.edge_port}",
                "-T",
                "none",
                "-f",
                str(VARNISH_DIR / "sayso.vcl"),
                "-p",
                f"vcl_path={vcl_dir}:{VARNISH_DIR}",
                "-p",
                f"vsl_mask={VSL_MASK}",
                "-s",
                "malloc,64m",
            ],
            "varnishd.log",
        )
        wait_for_port(self.edge_port, process=process)

    def start_worker(self):
        """The task worker, if the project has one (django-tasks' db_worker)."""
        has_worker = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "help", "db_worker"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
        )
        if has_worker.returncode != 0:
            return None
        return self._spawn([sys.executable, str(ROOT / "manage.py"), "db_worker"], "worker.log")

    def start(self):
        self.start_app_servers()
        self.start_edge()
        if self.worker is not False:
            self.worker = self.start_worker()
        return self

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            process.log.close()
        self.processes = []

    def log(self, name):
        path = self.workdir / name
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def recreate_postgres_database(url):
    """Drops and creates the database named in a postgres:// URL (a throwaway one)."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure_postgres_database(url):
    """Creates the database named in a postgres:// URL if it doesn't exist yet."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _django():
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()


def seed(stories):
    """Consented, paid, published stories and 2 campaigns, addressed at the edge's port."""
    os.environ.setdefault("BENCH_PORT", os.environ.get("STACK_EDGE_PORT", "8080"))
    sys.path.insert(0, str(ROOT / "bench"))
    _django()
    import run as bench_run  # bench/run.py

    bench_run.seed(stories, 2)


def withdraw(slug, gap=0.0):
    """Withdraw a story; times are ``time.monotonic()`` (one clock for every process here).

    ``gap``: seconds to wait once the withdrawal is visible, before its purges after commit
    run, so readers are forced into the window between the commit and the edge's ban.
    """
    _django()
    from django.db import transaction

    from consent import services
    from stories.models import StoryPage

    story = StoryPage.objects.get(slug=slug)

    def visible():
        print(f"visible {time.monotonic():.6f}", flush=True)
        time.sleep(gap)
        print(f"gap-ended {time.monotonic():.6f}", flush=True)

    print(f"asked {time.monotonic():.6f}", flush=True)
    with transaction.atomic():
        # The first thing run once the withdrawal is visible, before its purges.
        transaction.on_commit(visible)
        services.withdraw_story(story=story, user=story.storyteller.user)
    # The withdrawal has returned: committed, then purged here and at the edge.
    print(f"committed {time.monotonic():.6f}", flush=True)


def retitle(slug, title):
    _django()
    from stories.models import CampaignPage

    draft = CampaignPage.objects.get(slug=slug).get_latest_revision_as_object()
    draft.title = title
    draft.save_revision().publish()
    print(f"committed {time.time():.6f}", flush=True)


def retry():
    _django()
    from stories.edge import retry_edge_purges
    from stories.models import EdgePurge

    # What the worker runs, run here: the stack's own worker would do it on its schedule.
    try:
        acknowledged = retry_edge_purges.call()
    except Exception as error:  # not acknowledged (with a worker: retried later)
        print(f"not acknowledged: {type(error).__name__}", flush=True)
        acknowledged = False
    print(f"acknowledged {acknowledged} owed {EdgePurge.objects.count()}", flush=True)


def owed():
    _django()
    from stories.models import EdgePurge

    print(f"owed {EdgePurge.objects.count()}", flush=True)


def run():
    """`make stack`: migrate, seed the demo if empty, start everything, wait for Ctrl-C."""
    edge_port = int(os.environ.get("STACK_EDGE_PORT", 8080))
    app_ports = [int(p) for p in os.environ.get("STACK_APP_PORTS", "8001,8002").split(",")]
    workdir = ROOT / "var" / "stack"
    workdir.mkdir(parents=True, exist_ok=True)
    key_file = workdir / "encryption.key"
    if not os.environ.get("SAYSO_ENCRYPTION_KEYS"):
        # The stack's database outlives a run: its key must too (local only, in var/).
        if not key_file.exists():
            from cryptography.fernet import Fernet

            key_file.write_text(Fernet.generate_key().decode())
            key_file.chmod(0o600)
        os.environ["SAYSO_ENCRYPTION_KEYS"] = key_file.read_text().strip()
    env = stack_environment(workdir, edge_port)
    stack = Stack(edge_port, app_ports, workdir=workdir, env=env)
    if env["DATABASE_URL"].startswith("postgres"):
        ensure_postgres_database(env["DATABASE_URL"])
    print(f"database: {env['DATABASE_URL']}")
    print(f"redis: {env.get('REDIS_URL') or '(none: set REDIS_URL to share the page cache)'}")
    stack.manage("migrate", "--noinput", "-v", "0")
    stack.manage("collectstatic", "--noinput", "-v", "0")
    # The demo's stories and sign-ins (local only: --force because these are production
    # settings), addressed at the edge so Wagtail's purges name the addresses readers use.
    stack.manage("seed_demo", "--force")
    stack.manage(
        "shell",
        "-c",
        "from wagtail.models import Site; Site.objects.filter(is_default_site=True)"
        f".update(hostname='127.0.0.1', port={edge_port})",
    )
    stack.start()
    worker = "the task worker" if stack.worker else "no worker (tasks run immediately)"
    print(
        f"edge http://127.0.0.1:{edge_port}/ → app servers "
        f"{', '.join(str(p) for p in app_ports)}; {worker}. Logs in {workdir}. Ctrl-C stops."
    )
    try:
        while all(process.poll() is None for process in stack.processes):
            time.sleep(1)
        print("a process of the stack stopped; stopping the rest", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["run"]
    if command == "run":
        run()
    elif command == "seed":
        seed(int(rest[0]))
    elif command == "withdraw":
        withdraw(rest[0], *(float(seconds) for seconds in rest[1:2]))
    elif command == "retry":
        retry()
    elif command == "owed":
        owed()
    elif command == "retitle":
        retitle(rest[0], rest[1])
    else:
        sys.exit(__doc__)
