"""What a server is started from: the `label-studio` executable and its version, the template data dir in the
user cache (`label-studio init` run once, then copied), an environment scrubbed of settings Label Studio would
pick up, and a free port on 127.0.0.1. Why: builder.labelstudio.server.

"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from builder.errors import BuildError
from builder.labelstudio.credentials import new_credentials, write_credentials

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_ENV = "LABEL_STUDIO_BIN"
CACHE_ENV = "BN_NEWS_LS_CACHE"
DEFAULT_BIN = Path(".venv-ls") / "bin" / "label-studio"  # relative to the repository root
TEMPLATE_MARKER = ".builder-template.json"
LOG_FILE = "label-studio.log"
SETUP_HINT = (
    "run the README setup command (a separate virtual environment `.venv-ls` with label-studio==1.23.2), "
    f"or set {BIN_ENV} to the `label-studio` executable"
)
# Bare names Label Studio would read as settings (get_env falls back to the unprefixed name).
_SCRUB_BARE = (
    "USERNAME", "PASSWORD", "HOST", "PORT", "USER_TOKEN", "DATABASE_NAME", "DJANGO_DB", "BASE_DATA_DIR",
    "DEBUG", "LOG_LEVEL", "JSON_LOG", "CSRF_TRUSTED_ORIGINS", "SENTRY_DSN", "FRONTEND_SENTRY_DSN", "SECRET_KEY",
)  # fmt: skip


class ServerError(BuildError):
    """The local Label Studio server could not be found, initialised, started or stopped."""


def label_studio_bin() -> Path:
    """The server executable: `$LABEL_STUDIO_BIN`, else `<repo root>/.venv-ls/bin/label-studio`."""
    configured = os.environ.get(BIN_ENV)
    path = Path(configured).expanduser() if configured else REPO_ROOT / DEFAULT_BIN
    if not path.is_file() or not os.access(path, os.X_OK):
        origin = f"${BIN_ENV}" if configured else f"default {DEFAULT_BIN.as_posix()}"
        raise ServerError(f"Label Studio server executable not found ({origin}: {path})", SETUP_HINT)
    return path


@functools.cache
def label_studio_version(executable: Path) -> str:
    """Installed label-studio version, read from the package metadata of the executable's interpreter.

    Never run `label-studio --version`: it starts a server on 0.0.0.0:8080 after printing.
    """
    python = executable.parent / "python"
    if python.exists():
        try:
            out = subprocess.run(
                [str(python), "-c", "import importlib.metadata as m; print(m.version('label-studio'))"],
                capture_output=True, text=True, timeout=60, check=True, env=_scrubbed_env(),
            )  # fmt: skip
            return out.stdout.strip()
        except (subprocess.SubprocessError, OSError):
            pass
    return "unknown"


def cache_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bn-news-builder"


def _scrubbed_env() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "HEARTEX_")) and k not in _SCRUB_BARE
    }
    env.update(
        COLLECT_ANALYTICS="false",
        LATEST_VERSION_CHECK="false",
        SENTRY_DSN="",
        FRONTEND_SENTRY_DSN="",
        PYTHONUNBUFFERED="1",
    )
    return env


def server_env(data_dir: Path, credentials: dict[str, str]) -> dict[str, str]:
    env = _scrubbed_env()
    env.update(
        HOME=str(data_dir),
        LABEL_STUDIO_BASE_DATA_DIR=str(data_dir),
        LABEL_STUDIO_USERNAME=credentials["username"],
        LABEL_STUDIO_PASSWORD=credentials["password"],
        LABEL_STUDIO_USER_TOKEN=credentials["token"],
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
    )
    return env


def log_tail(log: Path, lines: int = 25) -> str:
    try:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join("    " + line for line in tail) or "(log is empty)"


def port_in_use(port: int) -> bool:
    """Something accepts connections on 127.0.0.1:port (Label Studio would silently move to port+1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def template_dir(executable: Path | None = None) -> Path:
    """Cache folder of the pre-migrated template for this installation (version + executable)."""
    executable = executable or label_studio_bin()
    version = label_studio_version(executable)
    key = hashlib.sha256(str(executable.resolve()).encode()).hexdigest()[:10]
    return cache_root() / f"ls-template-{version}-{key}"


def ensure_template(executable: Path | None = None, *, timeout: float = 600.0) -> Path:
    """Build the template data dir once (`label-studio init`, 20-55 s); later calls return at once.

    Safe against concurrent callers: a lock file serialises builders, the template is built in a
    temporary folder and renamed into place only when complete (marker file written last).
    """
    executable = executable or label_studio_bin()
    target = template_dir(executable)
    if (target / TEMPLATE_MARKER).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / TEMPLATE_MARKER).is_file():
            return target
        shutil.rmtree(target, ignore_errors=True)  # half-built leftovers
        building = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        os.chmod(building, 0o700)
        credentials = new_credentials()
        write_credentials(building, credentials)
        log = building / LOG_FILE
        started = time.monotonic()
        with open(log, "wb") as out:
            try:
                proc = subprocess.run(
                    [str(executable), "init", "--data-dir", str(building), "--no-browser", "-q",
                     "--enable-legacy-api-token"],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    env=server_env(building, credentials), cwd=building, timeout=timeout,
                    start_new_session=True,
                )  # fmt: skip
            except subprocess.TimeoutExpired as e:
                raise ServerError(
                    f"`label-studio init` did not finish within {timeout:.0f} s; log {log}:\n{log_tail(log)}",
                    "the machine may be overloaded; retry, or raise the timeout",
                ) from e
        if proc.returncode != 0 or not (building / "label_studio.sqlite3").is_file():
            raise ServerError(
                f"`label-studio init` failed (exit {proc.returncode}); log {log}:\n{log_tail(log)}",
                "delete the half-built template folder and retry; " + SETUP_HINT,
            )
        marker = {
            "label_studio_version": label_studio_version(executable),
            "init_seconds": round(time.monotonic() - started, 1),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (building / TEMPLATE_MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
        os.replace(building, target)
    return target
