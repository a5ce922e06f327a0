"""Live Label Studio fixtures shared by test_roundtrip.py and test_lsproject.py (a pytest plugin).

Both modules say `pytest_plugins = ["ls_fixtures"]`, so the session fixture is registered once and ONE server
(template copy, temporary data dir, preset legacy token) serves the whole run. If it cannot start, the tests
that need it fail with the server's log; they never skip. Each test works in its own project (unique title).

Also here: `signup_user` (a second real user with its own token), `FaultProxy` (a 127.0.0.1 proxy that cuts
the export answer short) and a terminal-summary line with the measured timings.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import itertools
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import pytest

from builder.labelstudio.server import LabelStudioServer

TIMINGS: dict[str, float] = {}  # filled by the tests, printed at the end of the run
_titles = itertools.count(1)


@pytest.fixture(scope="session")
def ls_server() -> Iterator[LabelStudioServer]:
    """A running server for the session; ServerError (with the log tail) fails every test using it."""
    with LabelStudioServer() as server:
        assert server.start_seconds is not None
        TIMINGS["server start"] = server.start_seconds
        yield server


@pytest.fixture
def ls_env(ls_server: LabelStudioServer) -> dict[str, str]:
    """Environment for CliRunner.invoke: how `builder ls` finds the server."""
    return {"LABEL_STUDIO_URL": ls_server.url or "", "LABEL_STUDIO_API_KEY": ls_server.api_key}


@pytest.fixture
def title() -> str:
    """A project title no other test on the shared server uses."""
    return f"bn-news test {next(_titles)} {time.monotonic_ns()}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        shown = ", ".join(f"{k} {v:.1f}s" for k, v in TIMINGS.items())
        terminalreporter.write_line(f"Label Studio timings: {shown}")


def signup_user(url: str, admin_key: str, email: str, password: str) -> tuple[int, str]:
    """Create a second user the way a colleague joins, and return (user id, that user's own API token).

    Label Studio 1.23.2 Community: POST /api/users/ (`ls.users.create`) makes a user but cannot set its
    password, and nobody can read another user's token. So: the admin fetches the organisation's invite link
    (`ls.organizations.invites.get_invite_link()`, GET /api/invite), the new user signs up through it
    (GET + POST /user/signup/?token=…, Django form with CSRF; it logs the user in), and then reads its own
    legacy token with that session (GET /api/current-user/token). Every new user gets a legacy token at
    creation; the template organisation has legacy tokens enabled.
    """
    from label_studio_sdk import LabelStudio

    invite = LabelStudio(base_url=url, api_key=admin_key).organizations.invites.get_invite_link()
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    signup = f"{url}/user/signup/?token={urllib.parse.quote(invite.token or '')}"
    browser.open(signup, timeout=30).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode({"email": email, "password": password, "csrfmiddlewaretoken": csrf}).encode()
    browser.open(urllib.request.Request(signup, data=form, headers={"Referer": signup}), timeout=30).read()
    with browser.open(f"{url}/api/current-user/token", timeout=30) as r:
        token = json.loads(r.read())["token"]
    me = LabelStudio(base_url=url, api_key=token).users.whoami()
    assert me.email == email, "the signup did not log in as the new user"
    return me.id, token


class FaultProxy:
    """HTTP proxy on 127.0.0.1 in front of a real server; it cuts the body of every export download short.

    mode "truncate": sends the first half of the export with a matching Content-Length (a half-written
    export that looks complete on the wire). mode "drop": announces the full length, sends half, closes
    (a connection that broke off). Every other request is forwarded unchanged.
    """

    def __init__(self, target: str, mode: str = "truncate") -> None:
        self.target = urllib.parse.urlsplit(target)
        self.mode = mode
        self.exports_cut = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                conn = http.client.HTTPConnection(proxy.target.hostname, proxy.target.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                cut = "/export" in urllib.parse.urlsplit(self.path).path and resp.status == 200
                sent = data[: len(data) // 2] if cut else data
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data) if cut and proxy.mode == "drop" else len(sent)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(sent)
                if cut:
                    proxy.exports_cut += 1
                self.close_connection = True

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
