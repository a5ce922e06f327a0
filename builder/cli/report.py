"""How the command shows problems and failures: every problem with code, file, record, pointer and hint, causes
before their consequences, then a count per code; a BuildError's message and hint on stderr, exit 1.
"""

from __future__ import annotations

from collections import Counter

import typer

from builder.errors import BuildError, InvalidCorpus
from builder.records import Problem

# Problems that follow from another one in the same record (a deleted region leaves its relation dangling
# and its CONTENT without a cue): printed after their causes.
CONSEQUENCES = frozenset({"orphan-region", "attribution-missing-cue", "attribution-many-cues", "attribution-missing-type",
                          "attribution-many-sources", "unlinked-source", "provenance-missing", "merge-inconsistent"})  # fmt: skip


def report(problems: list[Problem]) -> None:
    for p in sorted(problems, key=lambda p: (p.file, p.record, p.code in CONSEQUENCES, p.pointer, p.code)):
        typer.echo(p.render(), err=True)
    counts = Counter(p.code for p in problems)
    summary = ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
    typer.echo(f"{len(problems)} problem(s): {summary}", err=True)


def fail(e: BuildError) -> None:
    if isinstance(e, InvalidCorpus):
        report(e.problems)
    typer.echo(f"Error: {e}", err=True)
    if e.hint:
        typer.echo(f"hint: {e.hint}", err=True)
    raise typer.Exit(1)
