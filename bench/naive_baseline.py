"""The script a researcher would write instead of the builder (the benchmark's baseline).

One Label Studio export file → label-studio-sdk's Converter (CONLL2003 and JSON_MIN) → pandas.json_normalize
→ Parquet. No checks of spans, ids, schema or provenance. Usage: naive_baseline.py EXPORT.json CONFIG.xml OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(export: str, config: str, out: str) -> None:
    import pandas as pd
    from label_studio_sdk.converter import Converter

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = json.loads(Path(export).read_text(encoding="utf-8"))
    converter = Converter(config=Path(config).read_text(encoding="utf-8"), project_dir=None, download_resources=False)
    converter.convert_to_conll2003(export, str(out_dir / "conll"), is_dir=False)
    converter.convert_to_json_min(export, str(out_dir / "json_min"), is_dir=False)
    minimal = json.loads(next((out_dir / "json_min").glob("*.json")).read_text(encoding="utf-8"))
    pd.json_normalize(minimal).astype(str).to_parquet(out_dir / "json_min.parquet")
    pd.json_normalize(tasks, record_path="annotations", meta=[["data", "doc_id"]]).astype(str).to_parquet(out_dir / "annotations.parquet")


if __name__ == "__main__":
    main(*sys.argv[1:4])
