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


def add_section_on_top(out: Path, lines: list[str], title: str) -> None:
    """Put `lines` at the top of results file `out`, under its first line (its title; `title` when the file is
    new), keeping every earlier section below, and print them."""
    old = out.read_text(encoding="utf-8") if out.exists() else f"{title}\n"
    head, _, rest = old.partition("\n")
    section = "\n".join(lines).strip("\n")
    out.write_text(f"{head}\n\n{section}\n\n{rest.lstrip(chr(10))}".rstrip("\n") + "\n", encoding="utf-8")
    print("\n".join(lines))
