"""Topic labels of a baseline revision's label code against this tree's, in one run, on the dev sets.

Three kinds of topic sets:
- the pipeline's own topics: the configured embedding (computed once, in this process) and then
  `fit_topics` run by each side on the same vectors, so the run shows that the topic assignments
  and NMI are the same under both label codes (the labels are all that may differ);
and two fixed before either label code runs (both sides label the same members):
- the true categories of `topic_labels.SETS` (Banking77, the Chinese shopping categories, two
  Arabic review sets with their sentiment classes as topics);
- finer topics: KMeans (fixed seed) on character 1-3-gram TF-IDF of the Chinese and Arabic
  review sets, k=30, the kind of many-topic run where generic words ("东西", "感觉") and
  "و"-glued words ("وجميل") can become labels.
Also the project's sample drop (`sample_data/drop`, every language, labels in Arabic as the
leadership report had them: "وتمزق بعد غسلة واحدة"), pipeline topics; it has no true topics (no NMI).
Each side is a child process with that side's `plugins` on PYTHONPATH (the baseline's exported
with `git archive`, bench/baseline_tree.py). Per set: labels that changed, labels whose first
phrase is one word that is spread over the topics (a generic word: in more than half of the
topics at no less than half its overall rate), Arabic labels opening with a و the corpus also
writes without it, readability problems (`label_problems`), multi-word share.

Run: PYTHONPATH=plugins python bench/topic_labels_ab.py [--baseline main]
-> a new section at the top of bench/results/topic_labels.md (the older sections stay below).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).parent))
from baseline_tree import export_plugins  # noqa: E402

HERE = Path(__file__).parent
DATASETS = Path(os.environ.get("CFM_DATASETS", HERE.parent.parent / "shared" / "datasets"))
TRUE_SETS = (
    "clustering/banking77_train_sample.csv",
    "clustering/zh_online_shopping_categories.csv",
    "sentiment/ar_restaurants.csv",
    "sentiment/ar_souq_products.csv",
)
KMEANS_SETS = (
    "clustering/zh_online_shopping_categories.csv",
    "sentiment/zh_waimai.csv",
    "sentiment/zh_chnsenticorp_hotels.csv",
    "sentiment/ar_restaurants.csv",
    "sentiment/ar_souq_products.csv",
    "sentiment/ar_attractions.csv",
)
K = 30
DROP = HERE.parent / "sample_data" / "drop"
FIT_SETS = (
    "clustering/banking77_train_sample.csv",
    "clustering/zh_online_shopping_categories.csv",
    "sentiment/zh_waimai.csv",
    "sentiment/zh_online_shopping.csv",
    "sentiment/ar_restaurants.csv",
    "sentiment/ar_souq_products.csv",
)

CHILD = r"""
import json, sys, time
import numpy as np
from cfm.nlp.embedding import text_hash
from cfm.nlp.topics.model import fit_topics
from cfm.nlp.topics.represent import describe_topics, label_problems, is_multi_word
job = json.load(open(sys.argv[1], encoding="utf-8"))
out = []
for s in job:
    t = time.perf_counter()
    if s.get("vectors"):
        fit = fit_topics(np.load(s["vectors"]), s["texts"], [text_hash(x) for x in s["texts"]], s.get("config"))
        labels, desc = fit.labels, fit.descriptions
        ids = sorted(desc)
    else:
        labels = np.array(s["labels"])
        ids = sorted(set(s["labels"]) - {-1})
        desc = describe_topics(s["texts"], labels, np.zeros((len(labels), 2), np.float32),
                               {i: np.zeros(2, np.float32) for i in ids})
    seconds = time.perf_counter() - t
    out.append({"labels": {str(i): desc[i].label for i in ids},
                "languages": {str(i): desc[i].label_language for i in ids},
                "problems": sum(len(label_problems(d.label, d.label_language)) for d in desc.values()),
                "multi": sum(is_multi_word(d.label.split("，")[0].split(", ")[0], d.label_language) for d in desc.values()),
                "assignments": labels.tolist(), "seconds": round(seconds, 2)})
json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
"""


def topic_sets(tmp: Path) -> list[dict]:
    from cfm.nlp.embedding import embed_texts

    sets = []
    for name in FIT_SETS:
        if (DATASETS / name).exists():
            frame = pd.read_csv(DATASETS / name, dtype=str, keep_default_na=False)
            vectors = tmp / f"{len(sets)}.npy"
            np.save(vectors, embed_texts(frame["text"].tolist()).vectors)
            sets.append({"set": name, "kind": "pipeline fit_topics", "texts": frame["text"].tolist(), "labels": None,
                         "vectors": str(vectors), "y": frame["label"].tolist()})
    if DROP.exists():
        texts = set()
        for path in sorted(DROP.iterdir()):
            rows = (pd.read_json(path, lines=True, dtype=str) if path.suffix == ".jsonl"
                    else pd.read_csv(path, dtype=str, keep_default_na=False))
            texts |= {t for t in rows["text"].fillna("") if t.strip()}
        texts = sorted(texts)
        vectors = tmp / "drop.npy"
        np.save(vectors, embed_texts(texts).vectors)
        sets.append({"set": "sample_data/drop (label_language ar)", "kind": "pipeline fit_topics", "texts": texts,
                     "labels": None, "vectors": str(vectors), "y": None, "config": {"label_language": "ar"}})
    for name in TRUE_SETS:
        if (DATASETS / name).exists():
            frame = pd.read_csv(DATASETS / name, dtype=str, keep_default_na=False)
            cats = sorted(set(frame["label"]))
            sets.append({"set": name, "kind": "true categories", "texts": frame["text"].tolist(),
                         "labels": [cats.index(x) for x in frame["label"]], "names": cats, "y": frame["label"].tolist()})
    for name in KMEANS_SETS:
        if (DATASETS / name).exists():
            frame = pd.read_csv(DATASETS / name, dtype=str, keep_default_na=False)
            x = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit_transform(frame["text"])
            km = KMeans(K, n_init=3, random_state=0).fit_predict(x)
            sets.append({"set": name, "kind": f"KMeans k={K} on char 1-3-gram TF-IDF", "texts": frame["text"].tolist(),
                         "labels": km.tolist(), "names": [f"cluster {i}" for i in range(K)], "y": frame["label"].tolist()})
    return sets


def run_side(plugins: Path, job_path: Path) -> list[dict]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "PYTHONPATH": str(plugins)}
        subprocess.run([sys.executable, "-c", CHILD, str(job_path), out.name], env=env, check=True)
        return json.loads(Path(out.name).read_text(encoding="utf-8"))


def generic_words(texts: list[str], labels: list[int], language: str) -> set[str]:
    """Words spread over the topics: in more than half of them at no less than half the word's overall rate."""
    from cfm.nlp.topics.represent import _words

    ids = sorted(set(labels) - {-1})
    per_topic = {i: Counter() for i in ids}
    size = Counter(labels)
    for text, lab in zip(texts, labels, strict=True):
        if lab >= 0:
            per_topic[lab].update({w.lower() for w in _words(text, language)})
    total = Counter()
    for c in per_topic.values():
        total.update(c)
    n = sum(size[i] for i in ids)
    out = set()
    for w, df in total.items():
        rate = df / n
        spread = sum(per_topic[i][w] / size[i] >= rate / 2 for i in ids)
        if df >= 10 and spread > len(ids) / 2:
            out.add(w)
    return out


def glued_waw(label: str, vocab: Counter) -> bool:
    from cfm.nlp.keywords import normalise_arabic

    first = normalise_arabic(label.split()[0]) if label.split() else ""
    return first[:1] == "و" and vocab[first[1:]] > vocab[first]


def main(*args: str) -> None:
    baseline = args[args.index("--baseline") + 1] if "--baseline" in args else "main"
    from cfm.nlp.keywords import normalise_arabic
    from cfm.nlp.topics.represent import _words, script_language

    with tempfile.TemporaryDirectory() as tmp:
        sets = topic_sets(Path(tmp))
        job = Path(tmp) / "job.json"
        job.write_text(json.dumps([{"texts": s["texts"], "labels": s["labels"], "vectors": s.get("vectors"), "config": s.get("config")}
                                   for s in sets],
                                  ensure_ascii=False), encoding="utf-8")
        old_plugins = export_plugins(baseline, Path(tmp) / "old")
        t = time.perf_counter()
        old = run_side(old_plugins, job)
        t_old = time.perf_counter() - t
        t = time.perf_counter()
        new = run_side(HERE.parent / "plugins", job)
        t_new = time.perf_counter() - t
    lines = [
        f"## Label A/B: `{baseline}` (old) against this tree (new), same run",
        "",
        f"Load average {os.getloadavg()[0]:.2f} (2 shared cores). Child processes, old = `{baseline}`'s plugins via"
        " bench/baseline_tree.py; bench/topic_labels_ab.py. \"pipeline fit_topics\": each side clusters the same"
        " embeddings (configured model) itself, the run asserts equal assignments; the other kinds are fixed partitions."
        f" Whole label step, every set: old {t_old:.1f} s, new {t_new:.1f} s (ratio {t_new / t_old:.2f}, noisy).",
        "Generic: the label's first phrase is one word found in more than half of the set's topics at no less than half"
        " its overall rate. Glued و: an Arabic label opening with و+word where the corpus writes the word without و more often.",
        "",
        "| set | topics | NMI old / new | labels changed | generic one-word labels old / new"
        " | glued و old / new | readability problems old / new | multi-word old / new |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    details = []
    summary = []
    for s, o, n in zip(sets, old, new, strict=True):
        assert o["assignments"] == n["assignments"], f"topic assignments differ on {s['set']}"
        s["labels"] = s["labels"] or o["assignments"]
        s["names"] = s.get("names") or [f"topic {i}" for i in range(max(s["labels"]) + 1)]
        nmi_o = normalized_mutual_info_score(s["y"], o["assignments"]) if s["y"] else float("nan")
        nmi_n = normalized_mutual_info_score(s["y"], n["assignments"]) if s["y"] else float("nan")
        lang = Counter(script_language(t) for t in s["texts"]).most_common(1)[0][0]
        generic = generic_words(s["texts"], s["labels"], lang)
        vocab = Counter(w for t in s["texts"] for w in re.findall(r"[\u0621-\u064A]+", normalise_arabic(t)))

        def count(side: dict, lang: str = lang, generic: set = generic, vocab: Counter = vocab) -> tuple[int, int]:
            firsts = [lab.split("，")[0].split(", ")[0] for lab in side["labels"].values()]
            gen = sum(len(_words(f, lang)) == 1 and f.lower() in generic for f in firsts)
            waw = sum(script_language(f) == "ar" and glued_waw(f, vocab) for f in firsts)
            return gen, waw

        (g_o, w_o), (g_n, w_n) = count(o), count(n)
        changed = [(s["names"][int(i)], o["labels"][i], n["labels"][i]) for i in o["labels"] if o["labels"][i] != n["labels"][i]]
        topics = len(o["labels"])
        lines.append(
            f"| {s['set']} ({s['kind']}) | {topics} | {nmi_o:.4f} / {nmi_n:.4f} | {len(changed)} | {g_o} / {g_n} | {w_o} / {w_n}"
            f" | {o['problems']} / {n['problems']} | {o['multi'] / topics:.0%} / {n['multi'] / topics:.0%} |"
        )
        summary.append({"set": s["set"], "kind": s["kind"], "topics": topics, "nmi": [nmi_o, nmi_n], "changed": len(changed),
                        "generic": [g_o, g_n], "glued_waw": [w_o, w_n], "problems": [o["problems"], n["problems"]],
                        "multi": [o["multi"], n["multi"]], "labels_old": o["labels"], "labels_new": n["labels"]})
        if changed:
            details += [f"### {s['set']} ({s['kind']}): labels that changed", "", "| topic | old | new |", "| --- | --- | --- |",
                        *(f"| {name} | {a} | {b} |" for name, a, b in changed), ""]
    lines += ["", *details]
    results = HERE / "results"
    md = results / "topic_labels.md"
    previous = md.read_text(encoding="utf-8") if md.exists() else ""
    md.write_text("\n".join(lines) + "\n\n" + previous, encoding="utf-8")
    (results / "topic_labels_ab.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:])
