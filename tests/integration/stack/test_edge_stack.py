"""The real stack: Varnish (deploy/varnish/sayso.vcl) → 2 gunicorn app servers → a database.

Started once for this module on ports 8110–8112 (STACK_TEST_PORT moves them), with its own
database (SQLite in a temporary folder, or SAYSO_STACK_DATABASE_URL) and, when
SAYSO_TEST_REDIS_URL is set, Redis for the page cache; changes are made by a separate
process (``python -m deploy.stack withdraw ...``), as an editor's or storyteller's request
would. Everything it starts is stopped however the tests end. Skipped only where varnishd
isn't installed (`make test` installs Debian's varnish).
"""

import http.client
import os
import re
import socket
import time

import pytest

from deploy.stack import (
    Stack,
    readers_asking,
    recreate_postgres_database,
    stack_environment,
    varnishd,
)

pytestmark = pytest.mark.skipif(
    varnishd() is None, reason="Varnish is not installed here (apt-get install varnish)"
)

BASE_PORT = int(os.environ.get("STACK_TEST_PORT", 8110))
EDGE, APP1, APP2 = BASE_PORT, BASE_PORT + 1, BASE_PORT + 2
STORIES = 6


def request(port, path, method="GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def edge(path, **kwargs):
    return request(EDGE, path, **kwargs)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("stack")
    overrides = {}
    if os.environ.get("SAYSO_STACK_DATABASE_URL"):
        overrides["DATABASE_URL"] = os.environ["SAYSO_STACK_DATABASE_URL"]
    if os.environ.get("SAYSO_TEST_REDIS_URL"):
        overrides["REDIS_URL"] = os.environ["SAYSO_TEST_REDIS_URL"]
    env = stack_environment(workdir, EDGE, overrides)
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'stack.sqlite3'}")
    env["SAYSO_EDGE_SECONDS"] = "300"
    stack = Stack(EDGE, [APP1, APP2], workdir=workdir, env=env, worker=False)
    try:
        if env["DATABASE_URL"].startswith("postgres"):
            recreate_postgres_database(env["DATABASE_URL"])
        stack.helper("seed", str(STORIES))
        stack.start()
        yield stack
    except Exception:
        for name in ("varnishd.log", f"gunicorn-{APP1}.log", f"gunicorn-{APP2}.log"):
            print(f"--- {name}\n{stack.log(name)[-3000:]}")
        raise
    finally:
        stack.stop()


def warm(path):
    """Until the edge holds it (the app servers' first requests are slow)."""
    for _ in range(5):
        status, headers, _body = edge(path)
        if headers.get("x-sayso-edge") == "hit":
            return status, headers
    raise AssertionError(f"{path} never became a hit at the edge: {headers}")


def test_a_public_page_is_kept_at_the_edge_and_browsers_still_revalidate(stack):
    status, headers, body = edge("/stories/story-0/")
    assert status == 200
    status, headers, body_again = edge("/stories/story-0/")
    assert (status, headers["x-sayso-edge"]) == (200, "hit")
    assert body_again == body
    assert headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert "set-cookie" not in headers
    assert "age" not in headers and "via" not in headers
    # The app server itself tells the edge how long it may keep the page.
    _s, direct, _b = request(APP1, "/stories/story-0/")
    assert direct["cache-control"] == "public, max-age=0, must-revalidate, s-maxage=300"


def test_the_edge_answers_304_to_a_reader_holding_the_page(stack):
    _status, headers = warm("/stories/story-1/")
    etag = headers["etag"]

    status, again, body = edge("/stories/story-1/", headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert again["etag"] == etag
    status, _h, _b = edge("/stories/story-1/", headers={"If-None-Match": '"not-this-one"'})
    assert status == 200


def test_readers_cookies_are_dropped_so_everyone_gets_the_same_copy(stack):
    warm("/campaigns/campaign-0/")
    # The page varies on Cookie: a copy found for any other cookie means it was dropped.
    for cookie in ("theme=dark", "tracker=1; other=2", "sessionidx=3"):
        status, headers, _b = edge("/campaigns/campaign-0/", headers={"Cookie": cookie})
        assert (status, headers["x-sayso-edge"]) == (200, "hit"), cookie
        assert "set-cookie" not in headers, cookie


@pytest.mark.parametrize("cookie", ["sessionid=abc", "csrftoken=abc", "a=1; sessionid=abc"])
def test_a_session_or_csrf_cookie_goes_past_the_edge(stack, cookie):
    warm("/stories/story-2/")

    status, headers, _b = edge("/stories/story-2/", headers={"Cookie": cookie})

    assert (status, headers["x-sayso-edge"]) == (200, "pass")
    if "sessionid" in cookie:  # someone who may be signed in: their page is theirs alone
        assert "private" in headers["cache-control"]


@pytest.mark.parametrize("path", ["/my/login/", "/admin/login/", "/api/v3/pages/"])
def test_the_portal_the_admin_and_the_api_are_never_kept(stack, path):
    for _ in range(3):
        status, headers, _b = edge(path)
        assert status == 200, path
        assert headers["x-sayso-edge"] == "pass", path


def test_a_404_is_not_kept(stack):
    for _ in range(3):
        status, headers, _b = edge("/stories/no-such-story/")
        assert status == 404
        assert headers["x-sayso-edge"] != "hit"


def test_a_publish_purges_the_edge(stack):
    warm("/campaigns/campaign-1/")

    stack.helper("retitle", "campaign-1", "Fair pay now")

    status, headers, body = edge("/campaigns/campaign-1/")
    assert status == 200
    assert headers["x-sayso-edge"] == "miss"
    assert "Fair pay now" in body.decode()


def test_a_withdrawal_answers_410_at_the_edge_at_once_under_load(stack):
    """No 200 for any request sent after the commit: the withdrawing process waits GAP
    seconds between its commit and its purges after commit (the edge's ban, the page
    cache's second purge), and readers keep asking meanwhile."""
    path = "/stories/story-3/"
    gap = 0.8
    warm(path)

    with readers_asking(EDGE, path, 6) as answers:
        time.sleep(0.5)
        done = stack.helper("withdraw", "story-3", str(gap))
        returned = time.monotonic()
        asked = float(re.search(r"asked ([\d.]+)", done.stdout).group(1))
        visible = float(re.search(r"visible ([\d.]+)", done.stdout).group(1))
        gap_ended = float(re.search(r"gap-ended ([\d.]+)", done.stdout).group(1))
        time.sleep(1.0)

    # Answered before the withdrawal began: the page, from the edge.
    before = [a for a in answers if a.sent < asked - 0.05]
    assert before and all(a.status == 200 for a in before)
    assert any(a.edge == "hit" for a in before)
    # Sent after the commit, while the withdrawing process had not yet banned the edge
    # after it (forced into that window) ...
    in_gap = [a for a in answers if visible <= a.sent < gap_ended]
    assert len(in_gap) > 10
    assert [a for a in in_gap if a.status != 410] == []
    # ... and every request sent after the commit, including after the call returned.
    after = [a for a in answers if a.sent >= visible]
    assert len([a for a in after if a.sent >= returned]) > 10
    stale = [a for a in after if a.status != 410]
    assert stale == []
    assert not any(a.edge == "hit" for a in after)  # 410s not kept


def test_the_edge_refuses_purges_from_anyone_not_on_its_list(stack, tmp_path):
    port = closed_port()
    outsider = Stack(
        port, [APP1], workdir=tmp_path, env=stack.env, worker=False, purgers=("10.9.9.9",)
    )
    try:
        outsider.start_edge()
        for _ in range(5):
            _s, headers, _b = request(port, "/stories/story-4/")
            if headers["x-sayso-edge"] == "hit":
                break
        assert headers["x-sayso-edge"] == "hit"

        assert request(port, "/", method="BAN")[0] == 403
        assert request(port, "/stories/story-4/", method="PURGE")[0] == 403
        assert request(port, "/stories/story-4/")[1]["x-sayso-edge"] == "hit"
    finally:
        outsider.stop()


def test_a_purge_the_edge_missed_is_retried_until_it_answers(stack):
    path = "/stories/story-5/"
    warm(path)
    unreachable = {**stack.env, "SAYSO_EDGE_URLS": f"http://127.0.0.1:{closed_port()}"}

    # The withdrawal commits while its purge can't reach the edge...
    stack.helper("withdraw", "story-5", env=unreachable)
    assert "owed 0" not in stack.helper("owed").stdout
    status, headers, _b = edge(path)
    assert (status, headers["x-sayso-edge"]) == (200, "hit")  # what the retry is for

    # ... still unreachable: still owed ...
    assert "acknowledged False" in stack.helper("retry", env=unreachable).stdout

    # ... and sent once the edge answers.
    assert "acknowledged True owed 0" in stack.helper("retry").stdout
    status, headers, _b = edge(path)
    assert status == 410
