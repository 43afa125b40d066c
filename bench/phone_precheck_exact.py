"""The phone precheck (`redaction.may_hold_phone`) changes no verdict: main's `find_pii` against this tree's.

    PYTHONPATH=plugins .venv/bin/python bench/phone_precheck_exact.py --ids 100000 --hostile 50000

Runs `find_pii` of the baseline revision's redaction module (`git show`) and of this tree on every
record id bench/scale.py generates for `--ids` records (and their BAD- variants), plus `--hostile`
random id-like and phone-like strings (IDD and trunk prefixes, plus signs, separators, Arabic and
full-width digits, extensions, cue words). Counts how many region matchers a precheck for all
regions at once would run and how many the per-region one runs (`_regions_to_match`; the digit count
guard left aside). Puts a section on top of bench/results/phone_precheck.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_results import add_section_on_top  # noqa: E402

from cfm.nlp import redaction  # noqa: E402


def baseline_module(rev: str, tmp: Path):
    path = tmp / "redaction_baseline.py"
    path.write_text(subprocess.run(["git", "show", f"{rev}:plugins/cfm/nlp/redaction.py"], cwd=ROOT, check=True,
                                   capture_output=True, text=True).stdout, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("redaction_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def scale_ids(rows: int) -> list[str]:
    prefixes = ["SU", "CH", "PH", "RE", "EM"]
    return [f"{prefixes[i % 5]}-{i:07d}" for i in range(1, rows + 1)] + [f"BAD-{i:07d}" for i in range(1, rows + 1, 50)]


def hostile(count: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    arabic, wide = "٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９"
    heads = ["", "", "0", "00", "011", "+", "＋", "00 ", "(0", "1", "0044", "00966", "0098", "0086", "+290 ", "00290"]
    befores = ["", "", "SU-", "ID ", "ref ", "order #", "call me at ", "tel: ", "رقمي ", "电话", "x", "A1-", "BAD-"]
    afters = ["", "", " ext 12", "x3", " please", "-A", "/2", ".", " 电话"]
    out = []
    for _ in range(count):
        body = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 13)))
        if rng.random() < 0.4:  # group it
            cut = sorted(rng.sample(range(1, len(body)), k=min(len(body) - 1, rng.randint(1, 3))))
            sep = rng.choice([" ", "-", ".", "/", " - "])
            body = sep.join(body[a:b] for a, b in zip([0, *cut], [*cut, len(body)], strict=True))
        text = rng.choice(befores) + rng.choice(heads) + body + rng.choice(afters)
        if rng.random() < 0.1:
            text = text.translate(str.maketrans("0123456789", rng.choice([arabic, wide])))
        out.append(text)
    return out


def main() -> None:
    import tempfile

    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", type=int, default=100_000)
    ap.add_argument("--hostile", type=int, default=50_000)
    ap.add_argument("--baseline", default="main")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "phone_precheck.md"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = baseline_module(args.baseline, Path(tmp))
    lines = [f"## {args.baseline} against this tree: `find_pii` on ids and hostile strings "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             f"`bench/phone_precheck_exact.py --ids {args.ids} --hostile {args.hostile}`; CPU seconds, the two "
             "sides alternating in blocks of 5,000; machine loaded (other benches running): compare the ratio.", "",
             "| sample | values | flagged (old) | verdicts differ | skipped by precheck | region matchers run "
             "(precheck for all regions) | region matchers run (per region) | old s | new s | new / old |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    diffs = []
    for name, values in (("scale ids", scale_ids(args.ids)), ("hostile", hostile(args.hostile))):
        # Blocks of 5,000, the two sides alternating which goes first: the load of a shared machine drifts.
        before, after, t_old, t_new = [], [], 0.0, 0.0
        for k, i in enumerate(range(0, len(values), 5000)):
            block = values[i:i + 5000]
            for side in ((0, 1) if k % 2 == 0 else (1, 0)):
                t = time.process_time()
                got = [(old if side == 0 else redaction).find_pii(v) for v in block]
                if side == 0:
                    t_old += time.process_time() - t
                    before += got
                else:
                    t_new += time.process_time() - t
                    after += got
        differ = [v for v, a, b in zip(values, before, after, strict=True) if a != b]
        diffs += differ
        ascii_values = [redaction.normalise_digits(v) for v in values]
        skipped = sum(not redaction.may_hold_phone(v) for v in ascii_values)
        regions = redaction.PHONE_REGIONS
        runs = sum(len(redaction._regions_to_match(v, regions)) for v in ascii_values)
        lines.append(f"| {name} | {len(values):,} | {sum(map(bool, before)):,} | {len(differ)} | {skipped:,} | "
                     f"{(len(values) - skipped) * len(regions):,} | {runs:,} | "
                     f"{t_old:.1f} | {t_new:.1f} | {t_new / t_old:.2f} |")
        print(lines[-1], flush=True)
    lines += ["", "Verdicts: " + ("identical." if not diffs else f"**{len(diffs)} differ**, e.g. {diffs[:5]}"), ""]
    add_section_on_top(Path(args.out), lines, "# Phone precheck: same verdicts, less time")


if __name__ == "__main__":
    main()
