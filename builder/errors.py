"""Fatal errors: the environment or configuration is unusable. Data problems are `Problem`s instead."""

from __future__ import annotations

from builder.records import Problem


class BuildError(Exception):
    """Base class; the CLI prints the message and hint and exits 1."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint or self.hint


class MissingInput(BuildError):
    """A required input folder or file does not exist."""


class BadConfig(BuildError):
    """The labeling config, registry or pyproject settings cannot be used."""


class InvalidCorpus(BuildError):
    """`check` found problems; `build` refuses to write."""

    def __init__(self, problems: list[Problem]) -> None:
        codes = sorted({p.code for p in problems})
        super().__init__(
            f"{len(problems)} problem(s) in the inputs: {', '.join(codes)}",
            "fix the inputs listed above; nothing was written",
        )
        self.problems = problems

    def __reduce__(self):  # raised in a child process and sent back: rebuilt from its problems, not its message
        return (InvalidCorpus, (self.problems,))
