"""Topic-id stability on a real dev set, through PostgreSQL (enrich_feedback + recluster), default config.

Banking77 sample from ../shared/datasets (or $CFM_DATASETS): enrich 90%, re-run (ids kept?),
recluster on the same data (ids kept?), add the other 10%, recluster: share of the old items
that keep their topic id (target >= 95%). Same procedure as bench/nlp_topics.py's stability().
Run: PYTHONPATH=plugins python bench/insight_stability.py -> bench/results/insight_stability.md (+ .json)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_results import write_results  # noqa: E402
from insight import DATASETS  # noqa: E402
from nlp_topics import stability  # noqa: E402

from cfm.nlp.settings import nlp_config  # noqa: E402

HERE = Path(__file__).parent


def main(name: str = "clustering/banking77_train_sample.csv") -> None:
    path = DATASETS / name
    if not path.exists():
        print(f"skipped: no dev set at {path}")
        return
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    # A fixed shuffle so the last 10% is a random tenth, not the tail of the file.
    frame = frame.sample(frac=1.0, random_state=42).reset_index(drop=True)
    rows = [{"id": f"{path.stem}-{i:05d}", "text": t} for i, t in enumerate(frame["text"])]
    t = time.perf_counter()
    s = stability(rows)
    cfg = nlp_config()
    lines = [
        "# Topic-id stability on a real dev set (PostgreSQL, enrich_feedback + recluster)",
        "",
        f"Data: {name} ({len(rows)} texts, fixed shuffle); default config: {cfg['embedding_model']}, "
        f"{cfg['cluster_method']} clustering. Total {time.perf_counter() - t:.0f} s on a shared 2-core machine.",
        "",
        f"- enrich 90% ({s['first_enrich']['items']} items): {s['first_enrich']['topics']} topics, "
        f"{s['first_enrich']['unassigned']} unassigned",
        f"- re-run on the same data: {s['rerun_enrich']['embedded']} texts embedded, ids kept {s['rerun_ids_kept_share']:.2%}",
        f"- recluster on the same data: ids kept {s['recluster_same_data_ids_kept_share']:.2%}",
        f"- add 10% (incremental): {s['incremental_enrich']['assigned']} assigned, "
        f"{s['incremental_enrich']['unassigned']} unassigned; old ids kept {s['incremental_old_ids_kept_share']:.2%}",
        f"- recluster after +10%: old items keeping their topic id {s['recluster_after_10pct_new_old_ids_kept_share']:.2%} "
        f"(target >= 95%); among old items that had a topic {s['recluster_after_10pct_new_assigned_old_ids_kept_share']:.2%}",
        f"- recluster counts: {s['recluster_after_10pct_new']}",
        f"- topic_history events: {s['history_events']}",
    ]
    write_results("insight_stability", lines, s, default=str)


if __name__ == "__main__":
    main(*sys.argv[1:])
