"""Pseudonymising ids, redaction and language detection: the code before the per-batch changes and now, in one run.

    PYTHONPATH=plugins .venv/bin/python bench/enrichment_cpu_steps.py --rows 100000

Records from bench/scale.py's generator, cut into chunks of enrich.chunk_size (10,000) like the
enrich stage. Per chunk, each step runs the way it did before (every value through the
detectors, `redact` and `detect_language` once per record) and the way it does now
(`may_hold_pii` first, once per distinct text), alternating
which goes first, and the results are checked equal. Seconds are this process's CPU time
(`time.process_time`), less moved by other jobs on a shared machine than wall-clock time. Prints a markdown table of seconds and ratios (no database involved: the
pseudonymise step here is `id_pseudonym` over the chunk's distinct ids, as `_pseudonymise_ids` does).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402  (sets sys.path and the offline environment)


@contextmanager
def precheck_off():
    from cfm.nlp import redaction

    real = redaction.may_hold_pii
    redaction.may_hold_pii = lambda text: True
    try:
        yield
    finally:
        redaction.may_hold_pii = real


def _records(rows: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as drop:
        scale.generate(Path(drop), rows)
        out = []
        for path in sorted(Path(drop).iterdir()):
            with path.open(encoding="utf-8") as fh:
                out += list(csv.DictReader(fh)) if path.suffix == ".csv" else [json.loads(line) for line in fh]
    return out


def main() -> None:
    from cfm.nlp import language
    from cfm.nlp.language import detect_language, detect_languages
    from cfm.nlp.redaction import find_pii, redact, redact_many
    from cfm.nlp.settings import DEFAULTS
    from cfm.privacy.pseudonymise import id_pseudonym

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    args = ap.parse_args()
    records = _records(args.rows)
    key, langs = b"bench-only-key", tuple(DEFAULTS["languages"])
    for low in (False, True):  # lingua's models, then phonenumbers' metadata, loaded before any clock
        language._detector(langs, low).compute_language_confidence_values("warm up the models " * 5)
    with precheck_off():
        [find_pii(str(r.get("id")) + " " + (r.get("text") or "")) for r in records[:2000]]
    secs: dict[tuple[str, str], float] = defaultdict(float)
    load = os.getloadavg()

    def clock(step: str, path: str, fn):
        started = time.process_time()
        result = fn()
        secs[(step, path)] += time.process_time() - started
        return result

    def before_ids(ids):
        with precheck_off():
            return [id_pseudonym(v, key) for v in ids]

    def before_redact(texts):
        with precheck_off():
            return [redact(t or "") for t in texts]

    for n, start in enumerate(range(0, len(records), args.chunk)):
        chunk = records[start:start + args.chunk]
        ids = sorted({str(r[c]) for r in chunk for c in ("id", "survey_id", "thread_id", "question_id") if r.get(c)})
        texts = [r.get("text") or "" for r in chunk]
        declared = [r.get("language") or None for r in chunk]
        order = ("before", "now") if n % 2 == 0 else ("now", "before")
        got = {}
        for path in order:
            if path == "before":
                pseud = clock("pseudonymise ids", path, lambda: before_ids(ids))
                red = clock("redaction", path, lambda: before_redact(texts))
                lang = clock("language", path, lambda: [detect_language(t, d, langs)
                                                        for t, d in zip([r.text for r in red], declared, strict=True)])
            else:
                pseud = clock("pseudonymise ids", path, lambda: [id_pseudonym(v, key) for v in ids])
                red = clock("redaction", path, lambda: redact_many(texts))
                lang = clock("language", path, lambda: detect_languages([r.text for r in red], declared, langs))
            got[path] = (pseud, red, lang)
        if got["before"] != got["now"]:
            sys.exit(f"chunk {n}: results differ between the code paths")
    load = tuple(max(a, b) for a, b in zip(load, os.getloadavg(), strict=True))
    distinct = len({r.get("text") or "" for r in records})
    print(f"`bench/enrichment_cpu_steps.py --rows {args.rows}`: {len(records):,} records ({distinct:,} distinct texts) "
          f"in chunks of {args.chunk:,}; results equal on every chunk; load average up to {load[0]:.1f} "
          f"(1 min) on {os.cpu_count()} cores.\n")
    print("| step | before, CPU s | now, CPU s | now / before |\n| --- | ---: | ---: | ---: |")
    for step in ("pseudonymise ids", "redaction", "language"):
        b, a = secs[(step, "before")], secs[(step, "now")]
        print(f"| {step} | {b:.1f} | {a:.1f} | {a / b:.2f} |")
    b, a = (sum(v for (s, p), v in secs.items() if p == path) for path in ("before", "now"))
    print(f"| all three | {b:.1f} | {a:.1f} | {a / b:.2f} |")


if __name__ == "__main__":
    main()
