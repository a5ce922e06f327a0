"""Credentials of a local Label Studio data folder: made per folder, readable by its owner only, never printed.

Every server made from the pre-migrated template would otherwise share the template's admin password,
API token and Django SECRET_KEY: anyone who saw one folder could log in to every other. So a copy of the
template gets its own three secrets before its server first starts (`rotate`), written straight into the
copy's SQLite database and `.env` — the same rows and hash format Label Studio's own `init` writes
(Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 sha256>`; the legacy token is the `authtoken_token`
key of the admin user).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
import string
from pathlib import Path

CREDENTIALS_FILE = ".builder-credentials.json"  # inside the data dir only, mode 0600
USERNAME = "lead@bn-news.example.org"  # Label Studio wants an e-mail address as user name
_ITERATIONS = 1_000_000  # Django 5.2's default for PBKDF2-SHA256
_SALT_CHARS = string.ascii_letters + string.digits


def new_credentials() -> dict[str, str]:
    return {"username": USERNAME, "password": secrets.token_urlsafe(18), "token": secrets.token_hex(20)}


def write_credentials(data_dir: Path, credentials: dict[str, str]) -> None:
    path = data_dir / CREDENTIALS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a file that already exists
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(credentials, f)


def read_credentials(data_dir: Path) -> dict[str, str] | None:
    try:
        data = json.loads((data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if not all(isinstance(data.get(k), str) and data[k] for k in ("username", "password", "token")):
        return None
    return data


def django_password_hash(password: str, salt: str | None = None, iterations: int = _ITERATIONS) -> str:
    salt = salt or "".join(secrets.choice(_SALT_CHARS) for _ in range(22))
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii').strip()}"


def rotate(data_dir: Path, username: str = USERNAME) -> dict[str, str]:
    """Give a fresh copy of the template its own password, API token and SECRET_KEY; returns the credentials."""
    credentials = new_credentials() | {"username": username}
    with contextlib.closing(sqlite3.connect(data_dir / "label_studio.sqlite3")) as db, db:
        row = db.execute("SELECT id FROM htx_user WHERE email = ?", (username,)).fetchone()
        if row is None:
            raise LookupError(f"the template database has no user {username}")
        db.execute("UPDATE htx_user SET password = ? WHERE id = ?", (django_password_hash(credentials["password"]), row[0]))
        changed = db.execute("UPDATE authtoken_token SET key = ? WHERE user_id = ?", (credentials["token"], row[0])).rowcount
        if changed != 1:
            raise LookupError(f"the template database has {changed} API tokens for {username}")
    env = data_dir / ".env"
    lines = env.read_text(encoding="utf-8").splitlines() if env.exists() else []
    lines = [ln for ln in lines if not ln.startswith("SECRET_KEY=")] + [f"SECRET_KEY={secrets.token_urlsafe(50)}"]
    fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    write_credentials(data_dir, credentials)
    return credentials
