"""Sentiment accuracy and macro-F1 per language on bench/data/sentiment_{en,ar,zh}.jsonl.

The model trains only on the packaged seed set (cfm.nlp.sentiment_lexicon.SEED_SENTENCES and
lexicon words), never on these files.
Run: PYTHONPATH=plugins python bench/nlp_sentiment.py  -> bench/results/sentiment.md (+ .json)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench_results import write_results
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from cfm.nlp.embedding import embed_texts, load_backend
from cfm.nlp.sentiment import LABELS, lexicon_score, train_sentiment_model

HERE = Path(__file__).parent


def main() -> None:
    backend = load_backend()
    model = train_sentiment_model(lambda t: embed_texts(t, backend=backend).vectors)
    results, lines = {}, []
    for lang in ("en", "ar", "zh"):
        rows = [json.loads(line) for line in open(HERE / f"data/sentiment_{lang}.jsonl", encoding="utf-8")]
        texts = [r["text"] for r in rows]
        gold = [r["label"] for r in rows]
        t = time.perf_counter()
        vecs = embed_texts(texts, backend=backend).vectors
        pred = [s.label for s in model.predict(vecs, texts, [lang] * len(texts))]
        elapsed = time.perf_counter() - t
        clf_only = [
            LABELS[int(p.argmax())] if False else model.classifier.classes_[int(p.argmax())]
            for p in model.classifier.predict_proba(vecs)
        ]
        lex_only = []
        for text in texts:
            s, _ = lexicon_score(text, lang)
            lex_only.append("positive" if s >= 0.2 else "negative" if s <= -0.2 else "neutral")
        results[lang] = {
            "n": len(rows),
            "accuracy": round(accuracy_score(gold, pred), 3),
            "macro_f1": round(f1_score(gold, pred, average="macro"), 3),
            "classifier_only_macro_f1": round(f1_score(gold, clf_only, average="macro"), 3),
            "lexicon_only_macro_f1": round(f1_score(gold, lex_only, average="macro"), 3),
            "confusion(neg,neu,pos)": confusion_matrix(gold, pred, labels=list(LABELS)).tolist(),
            "seconds": round(elapsed, 2),
        }
    lines = [
        "# Sentiment: accuracy and macro-F1 per language",
        "",
        f"Model: {model.name} (embedding all-MiniLM-L6-v2, torch backend), trained on {model.n_train} seed texts "
        "(packaged seed sentences + strong lexicon words); evaluation sets bench/data/sentiment_*.jsonl "
        "(300 each, balanced, built by bench/nlp_make_data.py from 14 base sentences per label and language "
        "with neutral prefixes/suffixes, so they are easier and less varied than real feedback).",
        "",
        "| language | n | accuracy | macro-F1 | classifier only | lexicon only |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for lang, r in results.items():
        lines.append(
            f"| {lang} | {r['n']} | {r['accuracy']} | {r['macro_f1']} | {r['classifier_only_macro_f1']} | {r['lexicon_only_macro_f1']} |"
        )
    lines += ["", "Confusion matrices (rows gold neg/neu/pos, columns predicted):", ""]
    lines += [f"- {lang}: {r['confusion(neg,neu,pos)']}" for lang, r in results.items()]
    lines += [
        "",
        "Caveats: all-MiniLM-L6-v2 is English-centric; the classifier alone is weak on Arabic and Chinese "
        "(see 'classifier only'), the lexicon carries those languages. The lexicon and the evaluation "
        "sentences were written by the same engineer, so lexicon coverage of the evaluation vocabulary is "
        "optimistic; expect lower figures on real Arabic/Chinese feedback (dialects, sarcasm, emoji). "
        "In particular the perfect Arabic score only says that the lexicon covers every polar word of the 14 "
        "Arabic base sentences per label; it is not an estimate of accuracy on real Arabic feedback. "
        "A held-out, independently written or real labelled set is the next step.",
    ]
    write_results("sentiment", lines, results)


if __name__ == "__main__":
    main()
