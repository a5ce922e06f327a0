"""Label Studio full JSON export files → Task records. Knows nothing about HTML or Parquet.

Reads every `*.json` under the export folder (one task per file is the committed layout, but a
whole-project export works too). Malformed JSON and schema violations become Problems with the
JSON pointer of the offending field; the task is then left out of the build.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from builder.errors import MissingInput
from builder.read.inputs import Refused, read_input
from builder.records import Problem


@dataclass(frozen=True, slots=True)
class Annotation:
    id: int
    annotator: str  # e-mail when the export expands users, else the numeric user id as text
    created_at: str | None
    updated_at: str | None
    lead_time: float | None
    ground_truth: bool
    was_cancelled: bool
    result: tuple[dict[str, Any], ...]
    pointer: str  # JSON pointer of this annotation inside its file


@dataclass(frozen=True, slots=True)
class Task:
    file: str  # repository-relative path
    pointer: str  # JSON pointer of the task inside its file
    task_id: int
    doc_id: str
    text: str
    annotations: tuple[Annotation, ...]

    @property
    def record(self) -> str:
        return f"task {self.task_id} (doc_id={self.doc_id})"


@cache
def export_schema() -> dict[str, Any]:
    return json.loads(resources.files("builder.read").joinpath("schemas/ls_export.schema.json").read_text("utf-8"))


@cache
def _fast_validator():
    """The export schema compiled once by jsonschema-rs: it decides, ~15x faster than fastjsonschema and ~1000x
    faster than jsonschema; jsonschema (below) only explains a task that fails."""
    import jsonschema_rs

    schema = export_schema()
    return jsonschema_rs.Draft7Validator(schema["definitions"]["task"] | {"definitions": schema["definitions"]}, validate_formats=True)


@cache
def _explainer() -> Any:
    """jsonschema's Draft7Validator of a task: imported only to explain a task that failed."""
    from jsonschema import Draft7Validator, FormatChecker

    formats = FormatChecker(formats=())

    @formats.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        # jsonschema's own date-time check needs an extra package; fastjsonschema checks the format itself,
        # so without this the explanation of a "Feb 30" would be empty.
        return not isinstance(value, str) or bool(datetime.fromisoformat(value))

    schema = export_schema()
    return Draft7Validator(schema["definitions"]["task"] | {"definitions": schema["definitions"]}, format_checker=formats)


def export_files(export_dir: Path) -> list[Path]:
    if not export_dir.is_dir():
        raise MissingInput(f"{export_dir.name}: export folder not found", "pull the annotations from Label Studio or restore annotations/ from git")
    # what sorted(export_dir.rglob("*.json")) gives (folders named *.json too), without a path object per
    # candidate while walking: names are joined as strings and sorted by their components
    found = []
    for top, dirs, files in os.walk(export_dir):
        found += [f"{top}/{name}" for names in (dirs, files) for name in names if name.endswith(".json")]
    return [Path(p) for p in sorted(found, key=lambda p: p.split("/"))]


class _Constant(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _Constant(name)


# orjson reads an integer beyond 64 bits as a float, json keeps it an int: a run of 19 digits anywhere
# sends the file to json. Every digit becomes "0", everything else a space, then one substring search
# (a tenth of the time of a regular expression over the file).
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19


def _loads(raw: bytes) -> Any:
    """orjson where it gives what json gives; json (with its exact errors and NaN check) for anything else."""
    if _LONG_RUN not in raw.translate(_DIGITS):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # NaN, a BOM, a lone surrogate, bad JSON: json decides, and says why
    return json.loads(raw, parse_constant=_no_constant)


def read_export(path: Path, rel: str, root: Path | None = None) -> tuple[list[Task], list[Problem]]:
    """Parse one export file; every unusable task becomes a Problem instead of a Task."""
    try:
        data = _loads(read_input(path, root or path.parent, "export"))
    except Refused as r:
        return [], [Problem(r.code, rel, "", "", f"the export file {r.message}", r.hint)]
    except RecursionError:
        return [], [Problem("malformed-json", rel, "", "", "nested too deeply to be a Label Studio export",
                            "re-export the file from Label Studio; do not edit exports by hand")]
    except _Constant as e:
        return [], [Problem("malformed-json", rel, "", "", f"holds {e}, which is not JSON (NaN and Infinity are not numbers there)",
                            "re-export the file from Label Studio; a NaN lead_time or offset cannot be published")]
    except json.JSONDecodeError as e:
        return [], [Problem("malformed-json", rel, "", "", f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                            "re-export the file from Label Studio; do not edit exports by hand")]
    except UnicodeDecodeError as e:
        return [], [Problem("malformed-json", rel, "", "", f"not UTF-8 ({e.reason} at byte {e.start})", "re-export the file from Label Studio")]
    if not isinstance(data, list):
        return [], [Problem("schema-violation", rel, "", "", f"top level is {type(data).__name__}, expected a list of tasks",
                            "use Label Studio's JSON export (a list), not JSON_MIN or a single task object")]
    tasks: list[Task] = []
    problems: list[Problem] = []
    for i, raw in enumerate(data):
        task, found = _task(raw, rel, f"/{i}")
        problems += found
        if task is not None:
            tasks.append(task)
    return tasks, problems


def iter_exports(export_dir: Path, rel_of, root: Path | None = None) -> Iterator[tuple[list[Task], list[Problem]]]:
    """One (tasks, problems) pair per export file, in path order, so a build can stream."""
    for path in export_files(export_dir):
        yield read_export(path, rel_of(path), root)


def check_raw_task(raw: Any, rel: str) -> list[Problem]:
    """Problems of one task as exported (the schema check of `read_export`), for callers outside a file."""
    return _task(raw, rel, "")[1]


def _task(raw: Any, rel: str, pointer: str) -> tuple[Task | None, list[Problem]]:
    doc_id = raw.get("data", {}).get("doc_id") if isinstance(raw, dict) else None
    record = f"task {raw.get('id', '?') if isinstance(raw, dict) else '?'}" + (f" (doc_id={doc_id})" if isinstance(doc_id, str) else "")
    if isinstance(raw, dict) and "completions" in raw:
        return None, [Problem("schema-violation", rel, record, f"{pointer}/completions", "legacy key 'completions' is not accepted",
                              "re-export with a current Label Studio (the key is 'annotations')")]
    if not _fast_validator().is_valid(raw):
        return None, [_schema_problem(err, rel, record, pointer) for err in _explainer().iter_errors(raw)] or [
            Problem("schema-violation", rel, record, pointer, "task does not match the export schema", "re-export from Label Studio")
        ]
    annotations = tuple(_annotation(a, f"{pointer}/annotations/{j}") for j, a in enumerate(raw["annotations"]))
    return Task(rel, pointer, raw["id"], raw["data"]["doc_id"], raw["data"]["text"], annotations), []


def _annotation(a: dict[str, Any], pointer: str) -> Annotation:
    who = a.get("completed_by")
    annotator = str(who.get("email") or who["id"]) if isinstance(who, dict) else str(who) if who is not None else "unknown"
    return Annotation(
        id=a["id"],
        annotator=annotator,
        created_at=a.get("created_at"),
        updated_at=a.get("updated_at"),
        lead_time=a.get("lead_time"),
        ground_truth=bool(a.get("ground_truth", False)),
        was_cancelled=bool(a.get("was_cancelled", False)),
        result=tuple(a["result"]),
        pointer=pointer,
    )


def _schema_problem(err, rel: str, record: str, pointer: str) -> Problem:
    path = pointer + "".join(f"/{p}" for p in err.absolute_path)
    return Problem("schema-violation", rel, record, path, err.message, "re-export from Label Studio; the builder reads the full JSON export format")
