"""Pseudonymising ids, redaction and language detection: the code before and now, in one run.

    PYTHONPATH=plugins .venv/bin/python bench/enrichment_cpu_steps.py --rows 100000 [--db-url postgresql://...]

Records from bench/scale.py's generator, cut into chunks of enrich.chunk_size (10,000) like the
enrich stage. Per chunk, each step runs the way it did before (every value through every
detector, `redact` and `detect_language` once per record) and the way it does now (`may_hold_pii`
first; once per distinct text, within a chunk and across chunks), alternating which goes first,
and the results are checked equal. Seconds are this process's CPU time (`time.process_time`),
less moved by other jobs on a shared machine than wall-clock time. The pseudonymise step is
`id_pseudonym` over each chunk's distinct ids, as `_pseudonymise_ids` does. With --db-url, the
identity-row upsert too (executemany against one unnest statement), wall-clock, in a scratch database.
The enrichment-row upsert's comparison (executemany against COPY into a temp table) was dropped once
the one-row form left the code: its figures stay in bench/results/enrichment_overhead.md.
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
    ap.add_argument("--db-url", default="", help="also time the identity-row upsert in a scratch database there")
    ap.add_argument("--db-only", action="store_true")
    args = ap.parse_args()
    records = _records(args.rows)
    if args.db_only:
        print("| step | before s | now s | now / before |\n| --- | ---: | ---: | ---: |")
        identity_writes(args.db_url, records, args.chunk)
        return
    key, langs = b"bench-only-key", tuple(DEFAULTS["languages"])
    for low in (False, True):  # lingua's models, then phonenumbers' metadata, loaded before any clock
        language._detector(langs, low).compute_language_confidence_values("warm up the models " * 5)
    with precheck_off():
        [find_pii(str(r.get("id")) + " " + (r.get("text") or "")) for r in records[:2000]]
    secs: dict[tuple[str, str], float] = defaultdict(float)
    load = os.getloadavg()

    def clock(step: str, path: str, fn, *args):
        started = time.process_time()
        result = fn(*args)
        secs[(step, path)] += time.process_time() - started
        return result

    def before_ids(ids):
        with precheck_off():
            return [id_pseudonym(v, key) for v in ids]

    def before_redact(texts):
        with precheck_off():
            return [redact(t or "") for t in texts]

    def before_language(texts, declared):
        return [detect_language(t, d, langs) for t, d in zip(texts, declared, strict=True)]

    for n, start in enumerate(range(0, len(records), args.chunk)):
        chunk = records[start:start + args.chunk]
        ids = sorted({str(r[c]) for r in chunk for c in ("id", "survey_id", "thread_id", "question_id") if r.get(c)})
        texts = [r.get("text") or "" for r in chunk]
        declared = [r.get("language") or None for r in chunk]
        order = ("before", "now") if n % 2 == 0 else ("now", "before")
        got = {}
        for path in order:
            if path == "before":
                pseud = clock("pseudonymise ids", path, before_ids, ids)
                red = clock("redaction", path, before_redact, texts)
                lang = clock("language", path, before_language, [r.text for r in red], declared)
            else:
                pseud = clock("pseudonymise ids", path, lambda values: [id_pseudonym(v, key) for v in values], ids)
                red = clock("redaction", path, redact_many, texts)
                lang = clock("language", path, detect_languages, [r.text for r in red], declared, langs)
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
    if args.db_url:
        identity_writes(args.db_url, records, args.chunk)


def identity_writes(url: str, records: list[dict], chunk: int) -> None:
    """ml.feedback_identity's upsert per chunk: one statement per row (executemany, before) against
    one over arrays (unnest, now), each into an empty table of its own in a scratch database."""
    import uuid

    import psycopg

    from cfm.privacy.pseudonymise import customer_key

    db = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    upsert = ("insert into {t} (feedback_id, customer_key, key_version, run_id) {rows} on conflict (feedback_id) do update "
              "set customer_key = excluded.customer_key, key_version = excluded.key_version, run_id = excluded.run_id "
              "where {t}.customer_key is distinct from excluded.customer_key")
    secs = {"before": 0.0, "now": 0.0}
    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + f"/{db}") as conn:
            for t in ("before_t", "now_t"):
                conn.execute(f"create table {t} (feedback_id text primary key, customer_key text, "
                             "key_version text not null, run_id text not null)")
            conn.commit()
            for start in range(0, len(records), chunk):
                rows = [(str(r["id"]) + f"#{start + k}", customer_key(r.get("customer_email"), r.get("customer_id"), b"k"))
                        for k, r in enumerate(records[start:start + chunk])]
                started = time.perf_counter()
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(upsert.format(t="before_t", rows="values (%s, %s, %s, %s)"),
                                    [(f, k, "v", "run") for f, k in rows])
                secs["before"] += time.perf_counter() - started
                started = time.perf_counter()
                with conn.transaction():
                    conn.execute(upsert.format(t="now_t", rows="select f, k, %s, %s from unnest(%s::text[], %s::text[]) t(f, k)"),
                                 ("v", "run", [f for f, _ in rows], [k for _, k in rows]))
                secs["now"] += time.perf_counter() - started
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{db}" with (force)')
    print(f"| ml.feedback_identity upsert (wall s: client and server) | {secs['before']:.1f} | {secs['now']:.1f} | "
          f"{secs['now'] / secs['before']:.2f} |")


if __name__ == "__main__":
    main()
