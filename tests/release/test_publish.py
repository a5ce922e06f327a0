"""`builder publish`: dry-run plan without network, refusals (stale folder, failing check), offline push."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest
from conftest import REPO, apply_edits

from builder.cli.main import app

TOKEN = "hf_SECRET_do_not_print_1234567890"


@pytest.fixture
def built(cli, corpus: Path) -> Path:
    out = corpus / "build" / "dataset"
    result = cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any socket connection or Hub API call is recorded and fails."""
    calls: list[str] = []

    def refuse(name):
        def f(*args, **kwargs):
            calls.append(name)
            raise OSError(f"network call {name} in a test")
        return f

    real_connect = socket.socket.connect
    refused_connect = refuse("socket.connect")

    def connect(sock, address):  # local IPC (the worker pool's manager) is no network call
        if sock.family == socket.AF_UNIX:
            return real_connect(sock, address)
        return refused_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    from huggingface_hub import HfApi

    for name in ("create_repo", "create_commit", "upload_folder", "create_branch", "repo_info", "whoami"):
        monkeypatch.setattr(HfApi, name, refuse(f"HfApi.{name}"))
    return calls


def _publish(cli, corpus: Path, out: Path, *extra: str):
    return cli.invoke(app, ["publish", "me/bn-news", "--root", str(corpus), "--folder", str(out), *extra])


def test_dry_run_lists_every_file_with_size_and_hash(cli, corpus: Path, built: Path, no_network: list[str]) -> None:
    result = _publish(cli, corpus, built)
    assert result.exit_code == 0, result.output
    listed = {}
    for line in result.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            listed[parts[0]] = (int(parts[1]), parts[2])
    files = {p.relative_to(built).as_posix(): p for p in built.rglob("*") if p.is_file()}
    assert set(listed) == set(files)
    assert {"README.md", "croissant.json", "exports/attributions.jsonl"} <= set(listed)
    for rel, path in files.items():
        data = path.read_bytes()
        assert listed[rel] == (len(data), hashlib.sha256(data).hexdigest())
    assert "dry run" in result.stdout and f"{len(files)} operation(s)" in result.stdout
    assert no_network == []


def test_stale_folder_is_refused(cli, corpus: Path, built: Path, no_network: list[str]) -> None:
    readme = built / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nedited by hand\n", encoding="utf-8")
    result = _publish(cli, corpus, built)
    assert result.exit_code == 1
    assert "stale" in result.stderr and "README.md" in result.stderr
    assert "builder build" in result.stderr


def test_folder_of_older_inputs_is_refused(cli, corpus: Path, built: Path, no_network: list[str]) -> None:
    """The inputs changed after the build (another split salt): the folder no longer matches them."""
    pyproject = corpus / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("split_salt")]
    assert lines, "the test needs the split_salt setting of the repository's pyproject.toml"
    pyproject.write_text(text.replace(lines[0], 'split_salt = "another-salt"', 1), encoding="utf-8")
    result = _publish(cli, corpus, built)
    assert result.exit_code == 1
    assert "stale" in result.stderr


def test_stale_committed_card_is_refused(cli, corpus: Path, no_network: list[str]) -> None:
    """The folder is a fresh build, but dataset_card.md was not regenerated after the inputs changed."""
    registry = corpus / "annotations/registry.csv"
    registry.write_text(registry.read_text(encoding="utf-8").replace("এএফপি|এএফপিকে", "এএফপি|এ এফ পি|এএফপিকে"), encoding="utf-8")
    out = corpus / "build" / "dataset"
    assert cli.invoke(app, ["build", "--root", str(corpus), "--out", str(out)]).exit_code == 0
    result = _publish(cli, corpus, out)
    assert result.exit_code == 1
    assert "dataset_card.md is stale" in result.stderr and "builder card" in result.stderr
    assert cli.invoke(app, ["card", "--root", str(corpus)]).exit_code == 0
    assert _publish(cli, corpus, out).exit_code == 0
    assert no_network == []


def test_failing_check_is_refused(cli, corpus: Path, built: Path, no_network: list[str]) -> None:
    fixture = json.loads((REPO / "tests" / "data" / "bad" / "text-drift.json").read_text(encoding="utf-8"))
    apply_edits(corpus, fixture["edits"])
    result = _publish(cli, corpus, built)
    assert result.exit_code == 1
    assert "builder check" in result.stderr and "refusing to publish" in result.stderr


def test_push_offline_fails_clearly_without_leaking_token(cli, corpus: Path, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = _publish(cli, corpus, built, "--push")
    assert result.exit_code == 1
    assert "offline" in result.stderr.lower() and "hint:" in result.stderr
    assert TOKEN not in result.output


def test_push_without_network_fails_clearly_without_leaking_token(cli, corpus: Path, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_HUB_OFFLINE unset, but no connection possible: the transport error becomes a clear message."""
    import builder.release.publish as P

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr(P, "_offline", lambda: False)
    from huggingface_hub import HfApi

    def unreachable(self, *args, **kwargs):
        raise ConnectionError(f"Name or service not known (token {TOKEN})")

    monkeypatch.setattr(HfApi, "create_repo", unreachable)
    result = _publish(cli, corpus, built, "--push")
    assert result.exit_code == 1
    assert "cannot reach" in result.stderr and "hint:" in result.stderr
    assert TOKEN not in result.output


def test_push_without_token_is_refused(cli, corpus: Path, built: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[str]) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    result = _publish(cli, corpus, built, "--push")
    assert result.exit_code == 1
    assert "HF_TOKEN" in result.stderr
    assert no_network == []
