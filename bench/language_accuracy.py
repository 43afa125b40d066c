"""Language detection on the dev sets: accuracy and seconds, full lingua vs low-accuracy mode for long texts.

    PYTHONPATH=plugins .venv/bin/python bench/language_accuracy.py

Every CSV under ../shared/datasets whose name starts with en_, ar_ or zh_ is in that language.
Each text is detected twice in one process (models loaded before the clocks start): with the
full lingua mode for every Latin-script text (LOW_ACCURACY_MIN_WORDS out of reach, the old
behaviour) and with the shipped threshold. Prints a markdown table.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
DATASETS = ROOT.parent / "shared" / "datasets"


def main() -> None:
    from cfm.nlp import language
    from cfm.nlp.settings import DEFAULTS

    files = sorted(p for p in DATASETS.glob("*/*.csv") if p.name[:3] in ("en_", "ar_", "zh_"))
    if not files:
        sys.exit(f"no dev sets under {DATASETS}: skipped")
    langs = tuple(DEFAULTS["languages"])
    data = {p: [r["text"] for r in csv.DictReader(p.open(encoding="utf-8"))] for p in files}
    shipped = language.LOW_ACCURACY_MIN_WORDS
    for low in (False, True):  # load both detectors' models before timing
        d = language._detector(langs, low)
        if d is not None:
            d.compute_language_confidence_values("warm up the models of every language " * 5)
    results = {}
    for label, threshold in (("full mode for every text (before)", 10**9), (f"low-accuracy from {shipped} words", shipped)):
        language.LOW_ACCURACY_MIN_WORDS = threshold
        per_file = {}
        for path, texts in data.items():
            t = time.perf_counter()
            got = [language.detect_language(x, None, langs) for x in texts]
            per_file[path.name] = (sum(g == path.name[:2] for g in got), len(texts), time.perf_counter() - t, got)
        results[label] = per_file
    language.LOW_ACCURACY_MIN_WORDS = shipped
    (before, b), (after, a) = results.items()
    print(f"| file | texts | accuracy: {before} | accuracy: {after} | answers changed | s before | s after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in b:
        ok_b, n, s_b, got_b = b[name]
        ok_a, _, s_a, got_a = a[name]
        changed = sum(x != y for x, y in zip(got_b, got_a, strict=True))
        print(f"| {name} | {n:,} | {ok_b / n:.4f} | {ok_a / n:.4f} | {changed} | {s_b:.1f} | {s_a:.1f} |")
    tot = lambda r, i: sum(v[i] for v in r.values())  # noqa: E731
    changed = sum(sum(x != y for x, y in zip(b[k][3], a[k][3], strict=True)) for k in b)
    print(f"| all | {tot(b, 1):,} | {tot(b, 0) / tot(b, 1):.4f} | {tot(a, 0) / tot(a, 1):.4f} | {changed} | "
          f"{tot(b, 2):.1f} | {tot(a, 2):.1f} |")


if __name__ == "__main__":
    main()
