"""Dataset card YAML → list of problems, offline, against the Hub's tag vocabularies.

The Hub validates cards only online (`/api/validate-yaml`). Here: language, creators,
multilinguality and size categories against the vocabularies that ship inside `datasets`;
licence and task ids against small snapshots of the Hub's lists (below); configs and
dataset_info through datasets' own parsers, the same code `load_dataset` runs.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import datasets

# Snapshots of the Hub's lists (hub-docs licenses; huggingface.js task taxonomy), only the ids a
# text dataset may plausibly use. An id missing here is reported as unknown, never silently kept.
LICENSES = frozenset({
    "apache-2.0", "mit", "afl-3.0", "artistic-2.0", "bsd", "bsd-2-clause", "bsd-3-clause", "cc", "cc0-1.0",
    "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0",
    "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cdla-permissive-2.0", "cdla-sharing-1.0", "gpl-3.0", "lgpl-3.0",
    "odc-by", "odbl", "pddl", "openrail", "other", "unknown",
})
TASK_CATEGORIES = frozenset({
    "text-classification", "token-classification", "table-question-answering", "question-answering",
    "zero-shot-classification", "translation", "summarization", "feature-extraction", "text-generation",
    "text2text-generation", "fill-mask", "sentence-similarity", "text-retrieval", "other",
})
TASK_IDS = frozenset({
    "named-entity-recognition", "part-of-speech", "parsing", "lemmatization", "word-sense-disambiguation",
    "coreference-resolution", "sentiment-classification", "sentiment-analysis", "topic-classification",
    "multi-class-classification", "multi-label-classification", "fact-checking", "intent-classification",
    "natural-language-inference", "semantic-similarity-classification", "extractive-qa", "open-domain-qa",
    "entity-linking-classification", "language-modeling", "news-articles-summarization",
})


@cache
def _resource(name: str) -> Any:
    return json.loads((Path(datasets.__file__).parent / "utils" / "resources" / name).read_text(encoding="utf-8"))


def check_front_matter(meta: dict[str, Any]) -> list[str]:
    """Every problem with the card's YAML; [] when the Hub should accept it."""
    out: list[str] = []

    def each(key: str, allowed, what: str) -> None:
        values = meta.get(key) or []
        for v in [values] if isinstance(values, str) else values:
            if v not in allowed:
                out.append(f"{key}: {v!r} is not {what}")

    each("language", _resource("languages.json"), "an ISO 639 code the Hub knows")
    each("annotations_creators", _resource("creators.json")["annotations"], "a Hub annotations creator")
    each("language_creators", _resource("creators.json")["language"], "a Hub language creator")
    each("multilinguality", _resource("multilingualities.json"), "a Hub multilinguality value")
    each("size_categories", _resource("size_categories.json"), "a Hub size category")
    each("task_categories", TASK_CATEGORIES, "a Hub task category")
    each("task_ids", TASK_IDS, "a Hub task id")
    license_ = meta.get("license")
    if license_ not in LICENSES:
        out.append(f"license: {license_!r} is not a Hub licence id")
    elif license_ == "other" and not (meta.get("license_name") and meta.get("license_link")):
        out.append("license: 'other' needs license_name and license_link")
    if not meta.get("pretty_name"):
        out.append("pretty_name: missing")
    out += _check_configs(meta)
    return out


def _check_configs(meta: dict[str, Any]) -> list[str]:
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    card_data = DatasetCardData(**meta)
    out: list[str] = []
    try:
        configs = MetadataConfigs.from_dataset_card_data(card_data)
    except Exception as e:  # datasets raises plain ValueError/TypeError here; the message is the point
        return [f"configs: {e}"]
    defaults = [name for name, c in configs.items() if c.get("default")]
    if len(defaults) != 1:
        out.append(f"configs: exactly one default config expected, got {defaults}")
    try:
        infos = DatasetInfosDict.from_dataset_card_data(card_data)
    except Exception as e:
        return out + [f"dataset_info: {e}"]
    for name in configs:
        if name not in infos:
            out.append(f"dataset_info: config {name!r} has no features")
    return out
