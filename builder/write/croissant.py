"""`croissant.json` (dataset root): Croissant 1.0 JSON-LD metadata of the dataset folder.

Croissant 1.0 JSON-LD metadata built from the datasets Features: one FileSet per config
(`data/<config>/*.parquet`) and one RecordSet per config; structs become `subField`s, lists are
`repeated`, ClassLabel values are integers whose names are listed in the field description.
`license` is the card's license (pyproject `license`, the value the card's YAML gets), as a URL
when known; `citeAs` and `datePublished` are fixed constants here, never the build time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builder import schema

CROISSANT = "croissant.json"
# Fixed, so the metadata does not change from build to build; bump with a release.
DATE_PUBLISHED = "2026-11-23"
DATASET_NAME = "bn-news-attribution"
CITE_AS = (
    "@misc{bn_news_attribution, title={Bengali News: Entities, Source Attribution and Stance}, "
    "year={2026}, note={Hugging Face dataset}}"
)


def write_croissant(folder: Path, configs: list[str], scheme: Any, *, license: str) -> Path:
    meta = croissant(configs, scheme, license=license)
    path = Path(folder) / CROISSANT
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
    return path


_CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "equivalentProperty": "cr:equivalentProperty",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

_LICENSES = {
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nc-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "cc-by-nc-sa-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "mit": "https://opensource.org/licenses/MIT",
    "apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
}


def _data_type(feature: Any) -> str:
    import datasets

    if isinstance(feature, datasets.ClassLabel):
        return "sc:Integer"
    dtype = feature.dtype
    if dtype.startswith(("int", "uint")):
        return "sc:Integer"
    if dtype.startswith("float"):
        return "sc:Float"
    if dtype == "bool":
        return "sc:Boolean"
    if dtype.startswith("timestamp"):
        return "sc:Date"
    return "sc:Text"


def _field(config: str, path: list[str], feature: Any, column: str, json_path: str) -> dict[str, Any]:
    import datasets  # only in the reduce: the map's workers import exports for CoNLL and DocBin parts

    fid = f"{config}/" + "/".join(path)
    repeated = False
    if isinstance(feature, (datasets.List, datasets.Sequence, list)):
        repeated = True
        feature = feature.feature if not isinstance(feature, list) else feature[0]
    source: dict[str, Any] = {"fileSet": {"@id": f"{config}-files"}, "extract": {"column": column}}
    if json_path:
        source["transform"] = {"jsonPath": json_path}
    out: dict[str, Any] = {"@type": "cr:Field", "@id": fid, "name": fid}
    description = ""
    if isinstance(feature, dict):
        base = json_path + "[*]" if repeated and json_path else json_path
        out["subField"] = [
            _field(config, [*path, name], sub, column, f"{base}.{name}" if base else name)
            for name, sub in feature.items()
        ]
    else:
        out["dataType"] = _data_type(feature)
        if isinstance(feature, datasets.ClassLabel):
            description = "ClassLabel index into: " + ", ".join(f"{i}={n}" for i, n in enumerate(feature.names))
    out["source"] = source
    if repeated:
        out["repeated"] = True
    if description:
        out["description"] = description
    return out


def croissant(configs: list[str], scheme: Any, *, license: str) -> dict[str, Any]:
    """Croissant JSON-LD for the configs with rows (relative paths, no network needed to read it)."""
    distribution = []
    record_sets = []
    for config in configs:
        distribution.append({
            "@type": "cr:FileSet",
            "@id": f"{config}-files",
            "name": f"{config}-files",
            "description": f"Parquet files of the {config} config, all splits.",
            "encodingFormat": "application/x-parquet",
            "includes": f"data/{config}/*.parquet",
        })
        features = schema.features(config, scheme)
        record_sets.append({
            "@type": "cr:RecordSet",
            "@id": config,
            "name": config,
            "description": f"Rows of the {config} config.",
            "field": [_field(config, [name], feature, name, "") for name, feature in features.items()],
        })
    return {
        "@context": _CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": DATASET_NAME,
        "description": "Bengali news: named entities, source attribution (source, cue, content) and stance.",
        "citeAs": CITE_AS,
        "datePublished": DATE_PUBLISHED,
        "inLanguage": "bn",
        "license": _LICENSES.get(license, license),
        "url": f"https://huggingface.co/datasets/{DATASET_NAME}",
        "version": "1.0.0",
        "distribution": distribution,
        "recordSet": record_sets,
    }
