"""Where a bench script leaves its figures: bench/results/<name>.md (the table a human reads) and <name>.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def write_results(name: str, lines: list[str], data: Any, **dumps: Any) -> None:
    """Write results/<name>.md from `lines` and results/<name>.json from `data` (json.dumps(data, indent=1, **dumps)), and print the lines."""
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=1, **dumps))
    print("\n".join(lines))
