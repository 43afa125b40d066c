"""BERTopic side of the topic benchmark; runs in a separate venv (/tmp/bt) that has bertopic.

Usage: /tmp/bt/bin/python bench/nlp_bertopic_run.py EMBEDDINGS.npy TEXTS.json OUT.json [min_topic_size]
Same precomputed embeddings as cfm.nlp; UMAP and HDBSCAN with BERTopic's defaults and a fixed
UMAP random_state (so its result is reproducible); outliers stay -1 as BERTopic leaves them, and
the same fit after `reduce_outliers` (c-TF-IDF and embeddings strategies) is written beside them.
"""

import json
import sys
import time

import numpy as np


def main() -> None:
    emb_path, texts_path, out_path = sys.argv[1:4]
    min_size = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    vectors = np.load(emb_path)
    texts = json.load(open(texts_path, encoding="utf-8"))
    t = time.perf_counter()
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42)
    hdbscan_model = HDBSCAN(
        min_cluster_size=min_size, metric="euclidean", cluster_selection_method="eom", prediction_data=True
    )
    model = BERTopic(umap_model=umap_model, hdbscan_model=hdbscan_model, min_topic_size=min_size)
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    elapsed = time.perf_counter() - t
    out = {"labels": [int(x) for x in topics], "seconds": elapsed}
    # reduce_outliers: the documented way to give BERTopic's outliers a topic; both strategies
    # that work on any language (c-TF-IDF tokenises on whitespace, poor for Chinese).
    for strategy in ("c-tf-idf", "embeddings"):
        t = time.perf_counter()
        # reduce_outliers raises when there is nothing to reduce
        reduced = model.reduce_outliers(texts, topics, strategy=strategy, embeddings=vectors) if -1 in topics else topics
        out[f"labels_reduced_{strategy}"] = [int(x) for x in reduced]
        out[f"seconds_reduced_{strategy}"] = elapsed + time.perf_counter() - t
    json.dump(out, open(out_path, "w"))


if __name__ == "__main__":
    main()
