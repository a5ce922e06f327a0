"""Connecting to Label Studio (SDK 2.x): the URL and token checked, every API error turned into one that says
what to do, the project found by title, its tasks listed over every page.

The API token is only handed to the SDK; no message, report or file of this package contains it.

"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from builder.config import BuildConfig
from builder.errors import BuildError

URL_ENV = "LABEL_STUDIO_URL"
TOKEN_ENV = "LABEL_STUDIO_API_KEY"
DEFAULT_TITLE = "bn-news"  # used unless BuildConfig carries `ls_project` ([tool.builder] in pyproject.toml)
PAGE_SIZE = 100  # tasks per page when listing a project (tests lower it to exercise pagination)


class LabelStudioError(BuildError):
    """Label Studio answered with an error, or its answer cannot be used."""


class ServerUnreachable(LabelStudioError):
    """No Label Studio answers at the URL (connection refused, DNS, timeout)."""


class AuthFailed(LabelStudioError):
    """No token, or the server rejected it (401/403)."""


class ProjectMissing(LabelStudioError):
    """No project with the title exists (push/pull/predict before setup)."""


class ConfigConflict(LabelStudioError):
    """The new labeling config would orphan values that annotations on the server use."""


class ExportIncomplete(LabelStudioError):
    """The export did not arrive complete (truncated, broken off, or fewer tasks than the project has)."""


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    title: str


_REPEAT = "retry: setup, push, predict and pull are safe to repeat"


class Session:
    """An authenticated SDK client plus the URL for messages. repr() never shows the token."""

    def __init__(self, url: str, client: Any) -> None:
        self.url = url
        self.client = client

    def __repr__(self) -> str:
        return f"Session({self.url})"

    @contextmanager
    def api(self, what: str, *, broken: type[LabelStudioError] | None = None, hint: str = _REPEAT) -> Iterator[None]:
        """Translate SDK/httpx failures into BuildErrors with hints (messages never carry the token).

        `broken` and `hint` are what a connection that breaks off mid-answer raises and says.
        """
        import httpx  # here, not at the top: `builder build` imports this module for its constants only
        from label_studio_sdk.core.api_error import ApiError

        try:
            yield
        except httpx.ConnectError as e:
            raise ServerUnreachable(f"{what}: cannot connect to Label Studio at {self.url} ({e})", _UNREACHABLE) from None
        except httpx.TimeoutException as e:
            raise ServerUnreachable(f"{what}: Label Studio at {self.url} did not answer in time ({type(e).__name__})",
                                    "the server may be overloaded; retry") from None  # fmt: skip
        except httpx.HTTPError as e:  # RemoteProtocolError, ReadError, …: the answer broke off
            raise (broken or LabelStudioError)(f"{what}: the connection to {self.url} broke off ({e})", hint) from None
        except ApiError as e:
            detail = _detail(e.body)
            if e.status_code in (401, 403):
                raise AuthFailed(f"{what}: Label Studio at {self.url} rejected the API token (HTTP {e.status_code}: {detail})",
                                 _TOKEN_HINT) from None  # fmt: skip
            raise LabelStudioError(f"{what}: Label Studio answered HTTP {e.status_code}: {detail}",
                                   "see the server log for details") from None  # fmt: skip


_UNREACHABLE = f"start the server (`builder server`, or your team's instance) and check {URL_ENV} / --url"
_TOKEN_HINT = (
    f"set {TOKEN_ENV} (or --token) to the API token shown in Label Studio under Account & Settings; "
    "a legacy token only works when legacy tokens are enabled for the organisation"
)


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        parts = [str(body.get("detail") or "")]
        if body.get("validation_errors"):
            parts.append(json.dumps(body["validation_errors"], ensure_ascii=False))
        return " ".join(p for p in parts if p) or "no detail"
    return str(body)[:300] if body else "no detail"


def connect(url: str | None, token: str | None, *, timeout: float = 60.0) -> Session:
    """Check the URL answers and the token is accepted (whoami); the SDK client for everything else."""
    if not url:
        raise LabelStudioError("no Label Studio URL given", f"set {URL_ENV} or pass --url, e.g. http://127.0.0.1:8080")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise LabelStudioError(f"{URL_ENV} / --url must be an http(s) URL without credentials, got {parts.scheme}://{parts.hostname}",
                               "e.g. http://127.0.0.1:8080")  # fmt: skip
    if not token:
        raise AuthFailed("no Label Studio API token given", _TOKEN_HINT)
    url = url.rstrip("/")
    import httpx

    # A bare health probe first: the SDK retries refused connections with back-off, which only delays the error.
    try:
        httpx.get(f"{url}/health", timeout=min(timeout, 10.0))
    except httpx.HTTPError as e:
        raise ServerUnreachable(f"cannot connect to Label Studio at {url} ({e or type(e).__name__})", _UNREACHABLE) from None
    # heavy import (~1.5 s): only once a server answers
    from label_studio_sdk import LabelStudio

    session = Session(url, None)
    with session.api("authentication"):
        session.client = LabelStudio(base_url=url, api_key=token, timeout=timeout)
        session.client.users.whoami()
    return session


def default_title(cfg: BuildConfig) -> str:
    return cfg.ls_project or DEFAULT_TITLE


def find_project(session: Session, title: str) -> Project | None:
    """The project with exactly this title; several with one title is an error (which one would be meant?)."""
    with session.api(f"looking up project {title!r}"):
        found = [Project(p.id, p.title) for p in session.client.projects.list(title=title, page_size=PAGE_SIZE) if p.title == title]
    if len(found) > 1:
        raise LabelStudioError(f"{len(found)} projects are titled {title!r} (ids {', '.join(str(p.id) for p in found)})",
                               "rename or delete the extra projects in Label Studio, or pass --title")  # fmt: skip
    return found[0] if found else None


def require_project(session: Session, title: str) -> Project:
    project = find_project(session, title)
    if project is None:
        raise ProjectMissing(f"Label Studio at {session.url} has no project titled {title!r}",
                             "run `builder ls setup` first (or pass --title of an existing project)")  # fmt: skip
    return project


def list_tasks(session: Session, project: Project) -> dict[str, list[Any]]:
    """data.doc_id → the project's tasks carrying it, over every page of the task list."""
    by_doc: dict[str, list[Any]] = defaultdict(list)
    with session.api(f"listing the tasks of project {project.title!r}"):
        for task in session.client.tasks.list(project=project.id, page_size=PAGE_SIZE):
            doc_id = (task.data or {}).get("doc_id")
            if isinstance(doc_id, str):
                by_doc[doc_id].append(task)
    return by_doc
