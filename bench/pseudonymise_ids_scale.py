"""Pseudonymising record ids at 100k and 1M records: the baseline revision's code against this tree's, in one run.

    PYTHONPATH=plugins .venv/bin/python bench/pseudonymise_ids_scale.py --sizes 100000,1000000 --baseline main \
        [--out /tmp/x.md]

The ids are the ones bench/scale.py writes for that many records (`SU-0000001` ... and the BAD-
variants of invalid records, bench/phone_precheck_exact.py's `scale_ids`), all distinct, as at
scale. Each variant runs `id_pseudonym` over them in a process of its own (fresh per-process
caches, as an enrich worker starts), in chunks of 10,000 like the enrich stage: the baseline's
plugins (bench/baseline_tree.py), this tree's, and this tree's without the per-process verdict cache
(`id_holds_pii.__wrapped__`: does a cache that every distinct id misses cost more than none?).
Every pseudonym (None for an id without PII) must be identical across variants. Seconds are the
process's CPU time (`time.process_time`), less moved by other jobs on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from baseline_tree import export_plugins  # noqa: E402
from bench_results import add_section_on_top  # noqa: E402

CHUNK = 10_000
KEY = b"bench-only-key"

WORKER = r"""
import hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
from cfm.privacy import pseudonymise
ids = json.load(open(sys.argv[2]))
check = pseudonymise.id_holds_pii if sys.argv[3] == "cached" else pseudonymise.id_holds_pii.__wrapped__
pseudonymise.id_holds_pii = check
key = sys.argv[4].encode()
out = []
t0, w0 = time.process_time(), time.perf_counter()
chunk = int(sys.argv[6])
for i in range(0, len(ids), chunk):
    out += [pseudonymise.id_pseudonym(v, key) for v in sorted(set(ids[i:i + chunk]))]
cpu, wall = time.process_time() - t0, time.perf_counter() - w0
with open(sys.argv[5], "w") as fh:
    json.dump(out, fh)
print(json.dumps({"cpu": cpu, "wall": wall, "flagged": sum(p is not None for p in out),
                  "digest": hashlib.sha256(json.dumps(out).encode()).hexdigest()}))
"""


def run_variant(plugins: Path, ids_file: Path, cache: str, out_file: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(plugins)}
    got = subprocess.run([sys.executable, "-c", WORKER, str(plugins), str(ids_file), cache, KEY.decode(),
                          str(out_file), str(CHUNK)], env=env, check=True, capture_output=True, text=True)
    return json.loads(got.stdout.strip().splitlines()[-1])


def main() -> None:
    from phone_precheck_exact import scale_ids

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--baseline", default="main")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "phone_precheck.md"))
    args = ap.parse_args()
    lines = [f"## Pseudonymising ids at scale, {args.baseline} against this tree "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             f"`bench/pseudonymise_ids_scale.py --sizes {args.sizes} --baseline {args.baseline}`: `id_pseudonym` over "
             f"bench/scale.py's record ids (all distinct), chunks of {CHUNK:,}, one process per variant; CPU seconds. "
             f"Load average (1 min) at the start {os.getloadavg()[0]:.1f}.", "",
             "| records | ids | flagged | variant | CPU s | us / id | / baseline | pseudonyms |",
             "| ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |"]
    differ = False
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        variants = [(args.baseline, export_plugins(args.baseline, tmp / "base"), "cached"),
                    ("this tree", ROOT / "plugins", "cached"),
                    ("this tree, no verdict cache", ROOT / "plugins", "uncached")]
        for size in (int(s) for s in args.sizes.split(",")):
            ids = scale_ids(size)
            ids_file = tmp / "ids.json"
            ids_file.write_text(json.dumps(ids), encoding="utf-8")
            base = None
            for name, plugins, cache in variants:
                got = run_variant(plugins, ids_file, cache, tmp / f"{len(lines)}.json")
                base = base or got
                same = got["digest"] == base["digest"]
                differ |= not same
                lines.append(f"| {size:,} | {len(ids):,} | {got['flagged']:,} | {name} | {got['cpu']:.1f} | "
                             f"{got['cpu'] / len(ids) * 1e6:.0f} | {got['cpu'] / base['cpu']:.2f} | "
                             f"{'identical' if same else '**differ**'} |")
                print(lines[-1], flush=True)
    lines += ["", "Pseudonyms: " + ("**some differ**." if differ else "identical in every variant."), ""]
    add_section_on_top(Path(args.out), lines, "# Phone precheck: same verdicts, less time")


if __name__ == "__main__":
    main()
