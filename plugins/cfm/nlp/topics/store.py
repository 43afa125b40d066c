"""Topic persistence: stable topic identity in ml.topics (all the topic SQL lives here).

- First run: `fit_topics` on everything enriched so far (at most `fit_sample_size` items, the
  rest placed on the fitted topics chunk by chunk: `cfm.nlp.topics.corpus`); each topic gets a
  new id (ids are never reused, even after retirement).
- Later runs: new feedback joins the most similar active topic centroid (`assign_threshold`),
  otherwise stays unassigned (topic_id NULL) until the next `recluster`.
- `recluster`: fit again on all enriched feedback (bounded the same way), then match new clusters to registered
  topics (Hungarian assignment on centroid cosine and member overlap). Matched clusters keep
  their id; the rest become merges, splits, retirements or new topics, each recorded in
  ml.topic_history.
- Emerging topics: first seen within `emerging_window_days` of the latest feedback, or with
  a last-7-day volume >= `emerging_growth_factor` x their weekly average over the 4 weeks
  before (and at least `min_topic_size` items).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cfm.nlp.settings import nlp_config
from cfm.nlp.topics.cluster import assign_to_centroids, normalise
from cfm.nlp.topics.corpus import load_sample, sample_cutoff, stream_beyond, vector_cursor
from cfm.nlp.topics.features import topic_space
from cfm.nlp.topics.model import TopicFit, fit_topics
from cfm.nlp.topics.planning import keep_established_assignments, plan_recluster, surviving_topics
from cfm.nlp.topics.represent import unique_against

log = logging.getLogger(__name__)


def load_active_centroids(conn, embedding_model: str) -> dict[int, np.ndarray]:
    """Centroids (topic space) of the active topics for `embedding_model`."""
    with vector_cursor(conn) as cur:
        cur.execute(
            "SELECT topic_id, centroid FROM ml.topics WHERE status = 'active' AND embedding_model = %s",
            (embedding_model,),
        )
        return {int(t): c for t, c in cur.fetchall()}


def _next_topic_id(cur) -> int:
    cur.execute("SELECT coalesce(max(topic_id), 0) + 1 FROM ml.topics")
    return int(cur.fetchone()[0])


def _history(
    cur, topic_id: int, event: str, run_id: str, related: int | None = None, details: dict | None = None
):
    cur.execute(
        "INSERT INTO ml.topic_history (topic_id, event, related_topic_id, details, run_id) VALUES (%s, %s, %s, %s, %s)",
        (topic_id, event, related, json.dumps(details or {}), run_id),
    )


def _unique_in_registry(cur, fit: TopicFit, written: Sequence[int], replaced: set[int]) -> None:
    """Make the labels about to be written (`written` clusters of `fit`) unique across the live registry.

    A fit's labels are unique among themselves, but the registry also keeps live topics that
    this fit does not relabel (survivors, topics of another embedding model during a move).
    A new label that one of them already has gets the topic's next most distinctive phrase
    (`unique_against`); the older topic keeps its label. `replaced`: active topic ids whose
    label this run rewrites or that it retires or merges. Topic ids are not touched.
    """
    cur.execute("SELECT topic_id, label FROM ml.topics WHERE status = 'active'")
    taken = {str(label) for topic_id, label in cur.fetchall() if int(topic_id) not in replaced and label}
    if not taken:
        return
    changed = unique_against({local: fit.descriptions[local] for local in written}, taken)
    for local, old in changed.items():
        log.info("topic label %r is live on another topic: cluster %d is labelled %r", old, local,
                 fit.descriptions[local].label)


def _insert_topic(cur, topic_id: int, fit: TopicFit, local: int, embedding_model: str) -> None:
    d = fit.descriptions[local]
    cur.execute(
        "INSERT INTO ml.topics (topic_id, label, label_language, keywords, representative_texts, size, embedding_model, "
        "centroid) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            topic_id,
            d.label,
            d.label_language,
            d.keywords,
            d.representative_texts,
            fit.sizes.get(local, 0),
            embedding_model,
            [float(x) for x in fit.centroids[local]],
        ),
    )


def write_assignments(
    conn,
    feedback_ids: Sequence[str],
    topic_ids: Sequence[int | None],
    similarities: Sequence[float],
    methods: Sequence[str],
    *,
    embedding_model: str,
    run_id: str,
) -> None:
    """Upsert topic assignments; a row only changes when its topic, similarity or method changed.

    The rows are copied into a temporary table and upserted by one statement (a statement per
    row was most of the incremental topic step's time). A feedback id given twice keeps its last row.
    """
    rows = {
        fid: (fid, None if t is None or t < 0 else int(t), round(float(s), 6), m, embedding_model, run_id)
        for fid, t, s, m in zip(feedback_ids, topic_ids, similarities, methods, strict=True)
    }
    if not rows:
        return
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS topic_assignments_in (feedback_id text, topic_id int, "
            "similarity double precision, method text, embedding_model text, run_id text)"
        )
        cur.execute("TRUNCATE topic_assignments_in")
        with cur.copy("COPY topic_assignments_in FROM STDIN") as copy:
            for row in rows.values():
                copy.write_row(row)
        cur.execute(
            """
            INSERT INTO ml.topic_assignments AS a (feedback_id, topic_id, similarity, method, embedding_model, run_id)
            SELECT feedback_id, topic_id, similarity, method, embedding_model, run_id FROM topic_assignments_in
            ON CONFLICT (feedback_id) DO UPDATE SET
                topic_id = excluded.topic_id, similarity = excluded.similarity, method = excluded.method,
                embedding_model = excluded.embedding_model, run_id = excluded.run_id, assigned_at = now()
            WHERE (a.topic_id, a.similarity, a.method, a.embedding_model)
                IS DISTINCT FROM (excluded.topic_id, excluded.similarity, excluded.method, excluded.embedding_model)
            """
        )


def create_registry(
    conn, fit: TopicFit, feedback_ids: Sequence[str], *, embedding_model: str, run_id: str
) -> dict[int, int]:
    """Register every cluster of `fit` as a new topic and write the assignments. Returns local -> topic id."""
    with conn.cursor() as cur:
        _unique_in_registry(cur, fit, sorted(fit.centroids), set())
        start = _next_topic_id(cur)
        mapping = {local: start + k for k, local in enumerate(sorted(fit.centroids))}
        for local, topic_id in mapping.items():
            _insert_topic(cur, topic_id, fit, local, embedding_model)
            _history(cur, topic_id, "created", run_id, details={"size": fit.sizes.get(local, 0)})
    ids = [mapping.get(int(label)) if label >= 0 else None for label in fit.labels]
    write_assignments(
        conn, feedback_ids, ids, fit.similarities, fit.methods, embedding_model=embedding_model, run_id=run_id
    )
    return mapping


def assign_incremental(
    conn,
    feedback_ids: Sequence[str],
    space_vectors: np.ndarray,
    *,
    config: Mapping[str, Any],
    embedding_model: str,
    run_id: str,
) -> list[int | None]:
    """Assign new items to the nearest active topic (cosine >= assign_threshold) or leave them unassigned."""
    cfg = nlp_config(config)
    topic_centroids = load_active_centroids(conn, embedding_model)
    ids, sims = assign_to_centroids(space_vectors, topic_centroids, float(cfg["assign_threshold"]))
    out = [int(t) if t >= 0 else None for t in ids]
    write_assignments(
        conn,
        feedback_ids,
        out,
        sims,
        ["incremental"] * len(out),
        embedding_model=embedding_model,
        run_id=run_id,
    )
    return out


def refresh_topic_stats(conn, *, config: Mapping[str, Any]) -> None:
    """Recompute topic sizes and the emerging flag from assignments (deterministic: relative to the latest feedback)."""
    cfg = nlp_config(config)
    with conn.cursor() as cur:
        cur.execute(
            """
            WITH ref AS (SELECT max(submitted_at) AS ts FROM ml.feedback_enrichment),
            stats AS (
                SELECT a.topic_id,
                       count(*) AS size,
                       min(e.submitted_at) AS first_seen,
                       count(*) FILTER (WHERE e.submitted_at > ref.ts - interval '7 days') AS last7,
                       count(*) FILTER (WHERE e.submitted_at <= ref.ts - interval '7 days'
                                          AND e.submitted_at > ref.ts - interval '35 days') AS prior28
                FROM ml.topic_assignments a
                JOIN ml.feedback_enrichment e USING (feedback_id)
                CROSS JOIN ref
                WHERE a.topic_id IS NOT NULL
                GROUP BY a.topic_id
            ),
            flags AS (
                SELECT t.topic_id,
                       coalesce(s.size, 0) AS size,
                       t.status = 'active' AND s.topic_id IS NOT NULL AND (
                           s.first_seen > (SELECT ts FROM ref) - make_interval(days => %(window)s)
                           OR (s.last7 >= %(min_size)s AND s.last7 >= %(growth)s * greatest(s.prior28 / 4.0, 1))
                       ) AS is_emerging
                FROM ml.topics t LEFT JOIN stats s USING (topic_id)
            )
            UPDATE ml.topics t SET size = f.size, is_emerging = f.is_emerging, updated_at = now()
            FROM flags f
            WHERE t.topic_id = f.topic_id AND (t.size, t.is_emerging) IS DISTINCT FROM (f.size, f.is_emerging)
            """,
            {
                "window": int(cfg["emerging_window_days"]),
                "min_size": int(cfg["min_topic_size"]),
                "growth": float(cfg["emerging_growth_factor"]),
            },
        )


def refresh_topic_stats_locked(conn, *, config: Mapping[str, Any]) -> None:
    """`refresh_topic_stats` under the lock batches take to write topics, then commit.

    The stats are a function of the assignments alone, so one refresh after a range's last batch
    leaves what a refresh after each batch did; of ranges enriched at once, the last to finish
    refreshes after every range's batches are in.
    """
    conn.commit()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('cfm.topics'))")
        refresh_topic_stats(conn, config=config)


def recluster(conn, *, config: Mapping[str, Any], run_id: str) -> dict[str, int]:
    """Re-cluster all enriched feedback and reconcile with the registry, keeping topic ids.

    Returns counts: items, topics (active after), kept (matched to a new cluster), survived
    (unmatched but still holding its members), created, split, absorbed (clusters folded back
    into the kept topic they would have split from), merged, retired, unassigned.
    Commits.
    """
    from cfm.nlp.embedding import configured_cache_name

    cfg = nlp_config(config)
    embedding_model = configured_cache_name(cfg)
    cutoff, corpus_items = sample_cutoff(conn, embedding_model, int(cfg["fit_sample_size"]))
    sample = load_sample(conn, embedding_model, cutoff)
    ids, texts, hashes, vectors = sample.ids, sample.texts, sample.hashes, sample.vectors
    if not ids:
        return {
            "items": 0,
            "topics": 0,
            "kept": 0,
            "created": 0,
            "split": 0,
            "absorbed": 0,
            "merged": 0,
            "retired": 0,
            "unassigned": 0,
        }
    fit = fit_topics(vectors, texts, [h + f for h, f in zip(hashes, ids, strict=True)], cfg)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT feedback_id, topic_id FROM ml.topic_assignments WHERE feedback_id = ANY(%s)", (ids,)
        )
        current = dict(cur.fetchall())
    old_topics = [current.get(f) for f in ids]
    old_centroids = load_active_centroids(conn, embedding_model)
    plan = plan_recluster(
        fit.labels.tolist(), old_topics, fit.centroids, old_centroids, float(cfg["match_threshold"])
    )
    space = topic_space(vectors, texts, float(cfg["lexical_weight"]), int(cfg["lexical_dims"]))
    survivors = surviving_topics(
        plan,
        fit.labels.tolist(),
        old_topics,
        space,
        old_centroids,
        float(cfg["assign_threshold"]),
        _sample_min_size(int(cfg["min_topic_size"]), len(ids), corpus_items if cutoff else None),
    )
    plan.retired = [o for o in plan.retired if o not in survivors]
    kept_local_centroids = {local: fit.centroids[local] for local in plan.kept}
    for local, topic_id in plan.kept.items():
        pieces = [local] + [c for c, t in plan.absorbed.items() if t == topic_id]
        if len(pieces) > 1:
            kept_local_centroids[local] = normalise(
                space[np.isin(fit.labels, pieces)].mean(axis=0, keepdims=True)
            )[0]
    with conn.cursor() as cur:
        replaced = set(plan.kept.values()) | set(plan.merged) | set(plan.retired)
        _unique_in_registry(cur, fit, sorted([*plan.kept, *plan.created, *plan.splits]), replaced)
        mapping: dict[int, int] = {**plan.kept, **plan.absorbed}
        next_id = _next_topic_id(cur)
        for local in sorted(plan.created + list(plan.splits)):
            mapping[local] = next_id
            _insert_topic(cur, next_id, fit, local, embedding_model)
            if local in plan.splits:
                _history(
                    cur,
                    next_id,
                    "created",
                    run_id,
                    details={"size": fit.sizes.get(local, 0), "split_from": plan.splits[local]},
                )
                _history(
                    cur,
                    plan.splits[local],
                    "split",
                    run_id,
                    related=next_id,
                    details={"size": fit.sizes.get(local, 0)},
                )
            else:
                _history(cur, next_id, "created", run_id, details={"size": fit.sizes.get(local, 0)})
            next_id += 1
        for local, topic_id in plan.kept.items():
            d = fit.descriptions[local]
            centroid = [float(x) for x in kept_local_centroids[local]]
            cur.execute(
                """
                UPDATE ml.topics SET label = %s, label_language = %s, keywords = %s, representative_texts = %s,
                    centroid = %s::real[], updated_at = now()
                WHERE topic_id = %s AND (label, label_language, keywords, representative_texts, centroid)
                    IS DISTINCT FROM (%s::text, %s::text, %s::text[], %s::text[], %s::real[])
                RETURNING topic_id
                """,
                (
                    d.label,
                    d.label_language,
                    d.keywords,
                    d.representative_texts,
                    centroid,
                    topic_id,
                    d.label,
                    d.label_language,
                    d.keywords,
                    d.representative_texts,
                    centroid,
                ),
            )
            if cur.fetchone():
                _history(
                    cur,
                    topic_id,
                    "updated",
                    run_id,
                    details={"label": d.label, "size": fit.sizes.get(local, 0)},
                )
        for old, into in plan.merged.items():
            cur.execute(
                "UPDATE ml.topics SET status = 'merged', merged_into = %s, updated_at = now() WHERE topic_id = %s",
                (into, old),
            )
            _history(cur, old, "merged", run_id, related=into)
        for old in plan.retired:
            cur.execute(
                "UPDATE ml.topics SET status = 'retired', updated_at = now() WHERE topic_id = %s", (old,)
            )
            _history(cur, old, "retired", run_id)
    topic_ids = [mapping.get(int(label)) if label >= 0 else None for label in fit.labels]
    similarities = fit.similarities.copy()
    kept_centroids = {topic_id: kept_local_centroids[local] for local, topic_id in plan.kept.items()}
    kept_centroids.update(survivors)
    split_ids = {mapping[local] for local in plan.splits}
    sticky = keep_established_assignments(
        old_topics, topic_ids, space, kept_centroids, float(cfg["assign_threshold"]), split_ids
    )
    for i, sim in sticky.items():
        topic_ids[i] = old_topics[i]
        similarities[i] = sim
    methods = [m if t is not None else "cluster" for m, t in zip(fit.methods, topic_ids, strict=True)]
    write_assignments(
        conn, ids, topic_ids, similarities, methods, embedding_model=embedding_model, run_id=run_id
    )
    beyond, beyond_unassigned = place_beyond_sample(
        conn, cutoff, fit, mapping, kept_centroids, split_ids, config=cfg, embedding_model=embedding_model,
        run_id=run_id,
    )
    refresh_topic_stats(conn, config=cfg)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM ml.topics WHERE status = 'active' AND embedding_model = %s",
            (embedding_model,),
        )
        active_topics = int(cur.fetchone()[0])
    conn.commit()
    result = {
        "items": len(ids) + beyond,
        "topics": active_topics,
        "kept": len(plan.kept),
        "survived": len(survivors),
        "created": len(plan.created),
        "split": len(plan.splits),
        "absorbed": len(plan.absorbed),
        "merged": len(plan.merged),
        "retired": len(plan.retired),
        "unassigned": sum(t is None for t in topic_ids) + beyond_unassigned,
    }
    log.info("recluster %s: %s", run_id, result)
    return result


def _sample_min_size(min_size: int, sample_items: int, corpus_items: int | None) -> int:
    """`min_topic_size` scaled to the sample: survivors are judged on the sample's share of the corpus."""
    if not corpus_items or corpus_items <= sample_items:
        return min_size
    return max(1, math.ceil(min_size * sample_items / corpus_items))


def place_beyond_sample(
    conn,
    cutoff: str | None,
    fit: TopicFit,
    mapping: Mapping[int, int],
    kept_centroids: Mapping[int, np.ndarray],
    split_ids: set[int],
    *,
    config: Mapping[str, Any],
    embedding_model: str,
    run_id: str,
) -> tuple[int, int]:
    """Items the fit's sample left out, streamed chunk by chunk onto the fitted topics.

    The rule is the one `fit_topics` applies to items beyond its own clustering sample (nearest
    fitted centroid at cosine >= `assign_threshold`), then recluster's hysteresis (an item keeps
    a surviving topic it is still close to). Returns (items placed, of which unassigned).
    """
    cfg = nlp_config(config)
    threshold = float(cfg["assign_threshold"])
    placed = unassigned = 0
    for part in stream_beyond(conn, embedding_model, cutoff):
        space = topic_space(part.vectors, part.texts, float(cfg["lexical_weight"]), int(cfg["lexical_dims"]))
        local, sims = assign_to_centroids(space, fit.centroids, threshold)
        topic_ids = [mapping.get(int(label)) if label >= 0 else None for label in local]
        sims = np.asarray(sims, dtype=float).copy()
        if kept_centroids:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT feedback_id, topic_id FROM ml.topic_assignments WHERE feedback_id = ANY(%s)", (part.ids,)
                )
                current = dict(cur.fetchall())
            old = [current.get(f) for f in part.ids]
            for i, sim in keep_established_assignments(old, topic_ids, space, kept_centroids, threshold, split_ids).items():
                topic_ids[i] = old[i]
                sims[i] = sim
        methods = ["incremental" if t is not None else "cluster" for t in topic_ids]
        write_assignments(conn, part.ids, topic_ids, sims, methods, embedding_model=embedding_model, run_id=run_id)
        placed += len(part)
        unassigned += sum(t is None for t in topic_ids)
        log.info("[topics] %d items beyond the fit sample placed (%d unassigned)", placed, unassigned)
    return placed, unassigned


def _has_topics_of_another_model(conn, model: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM ml.topics WHERE status = 'active' AND embedding_model <> %s)", (model,))
        return bool(cur.fetchone()[0])


def _assigned(conn, ids: Sequence[str]) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT feedback_id FROM ml.topic_assignments WHERE feedback_id = ANY(%s) AND topic_id IS NOT NULL",
                    (list(ids),))
        return {r[0] for r in cur.fetchall()}


def update_topics(
    conn,
    ids: Sequence[str],
    vectors: np.ndarray,
    texts_redacted: Sequence[str],
    pending: set[str],
    *,
    config: Mapping[str, Any],
    embedding_model: str,
    run_id: str,
    refresh_stats: bool = True,
) -> dict[str, int]:
    """The enrich stage's topic step for one batch (`ids`, their vectors and redacted texts).

    No topics yet: fit on everything enriched so far and register them. Otherwise the
    `pending` items (new, or whose text changed) join the nearest active topic. Then topic
    stats are refreshed, unless `refresh_stats` is False: a caller enriching many batches
    refreshes them once after the last (`refresh_topic_stats_locked`), since the refresh scans
    every assignment. Returns counts: new_topics, topics (active), assigned, unassigned.
    """
    cfg = nlp_config(config)
    model = embedding_model
    counts = {"new_topics": 0}
    active = load_active_centroids(conn, model)
    if not active and _has_topics_of_another_model(conn, model):
        from cfm.nlp.embedding import load_backend

        counts["remapped_topics"] = remap_topics_to_model(conn, load_backend(cfg), config=cfg, run_id=run_id)["topics"]
        active = load_active_centroids(conn, model)
        pending = set(pending) | {f for f in ids if f not in _assigned(conn, ids)}
    if not active:
        cutoff, _ = sample_cutoff(conn, model, int(cfg["fit_sample_size"]))
        sample = load_sample(conn, model, cutoff)
        fit = fit_topics(sample.vectors, sample.texts, [h + f for h, f in zip(sample.hashes, sample.ids, strict=True)], cfg)
        mapping = create_registry(conn, fit, sample.ids, embedding_model=model, run_id=run_id)
        beyond, _ = place_beyond_sample(conn, cutoff, fit, mapping, {}, set(), config=cfg, embedding_model=model,
                                        run_id=run_id)
        counts["new_topics"] = len(mapping)
        log.info(
            "topic registry created: %d topics fitted on %d items (%.1f%% unassigned); %d more items placed",
            len(mapping),
            len(sample),
            100 * fit.unassigned_share,
            beyond,
        )
    elif pending:
        index = {fid: k for k, fid in enumerate(ids)}
        todo = sorted(pending)
        rows_idx = [index[f] for f in todo]
        space = topic_space(
            vectors[rows_idx],
            [texts_redacted[k] for k in rows_idx],
            float(cfg["lexical_weight"]),
            int(cfg["lexical_dims"]),
        )
        assigned = assign_incremental(conn, todo, space, config=cfg, embedding_model=model, run_id=run_id)
        log.info(
            "incremental topic assignment: %d of %d items joined a topic",
            sum(t is not None for t in assigned),
            len(todo),
        )
    if refresh_stats:
        refresh_topic_stats(conn, config=cfg)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM ml.topics WHERE status = 'active' AND embedding_model = %s", (model,)
        )
        counts["topics"] = int(cur.fetchone()[0])
        cur.execute(
            "SELECT count(*) FILTER (WHERE topic_id IS NOT NULL), count(*) FILTER (WHERE topic_id IS NULL) "
            "FROM ml.topic_assignments WHERE feedback_id = ANY(%s)",
            (ids,),
        )
        counts["assigned"], counts["unassigned"] = (int(x) for x in cur.fetchone())
    return counts


def remap_topics_to_model(conn, backend, *, config: Mapping[str, Any], run_id: str) -> dict[str, int]:
    """Move the topic registry onto a new embedding model without changing topic ids.

    Every enriched text is embedded with `backend` (incremental: texts already in
    ml.embeddings for the new model are skipped; resumable: vectors are committed chunk by
    chunk, so a crash loses at most one chunk). Each active topic of another model gets its
    centroid recomputed from its members' new vectors (the match is by centroid: same members,
    new space), keeps its id, and gets an 'updated' event in ml.topic_history saying which
    model it moved from. A later `recluster` then matches new clusters to these centroids.
    Returns counts: topics (remapped), items (re-pointed), embedded (newly computed). Commits.
    """
    from cfm.nlp.embedding import embed_texts
    from cfm.nlp.embedding_cache import PostgresEmbeddingCache

    cfg = nlp_config(config)
    new_model = backend.name
    with conn.cursor() as cur:
        cur.execute(
            "SELECT topic_id, embedding_model FROM ml.topics WHERE status = 'active' AND embedding_model <> %s "
            "ORDER BY topic_id",
            (new_model,),
        )
        old_topics = dict(cur.fetchall())
        cur.execute(
            "SELECT e.feedback_id, e.text_redacted, a.topic_id FROM ml.feedback_enrichment e "
            "LEFT JOIN ml.topic_assignments a USING (feedback_id) "
            "WHERE e.embedding_model <> %s AND btrim(coalesce(e.text_redacted, '')) <> '' ORDER BY e.feedback_id",
            (new_model,),
        )
        rows = cur.fetchall()
    counts = {"topics": 0, "items": len(rows), "embedded": 0}
    if not rows:
        return counts
    ids = [r[0] for r in rows]
    texts = [r[1] for r in rows]
    emb = embed_texts(texts, config=cfg, cache=PostgresEmbeddingCache(conn, commit_chunks=True), backend=backend)
    counts["embedded"] = emb.embedded
    space = topic_space(emb.vectors, texts, float(cfg["lexical_weight"]), int(cfg["lexical_dims"]))
    members: dict[int, list[int]] = {}
    for k, (_, _, topic_id) in enumerate(rows):
        if topic_id in old_topics:
            members.setdefault(int(topic_id), []).append(k)
    with conn.cursor() as cur:
        for topic_id, old_model in old_topics.items():
            if topic_id not in members:
                continue
            mean = space[members[topic_id]].mean(axis=0)
            centroid = [float(x) for x in mean / max(float(np.linalg.norm(mean)), 1e-12)]
            cur.execute(
                "UPDATE ml.topics SET embedding_model = %s, centroid = %s::real[], updated_at = now() WHERE topic_id = %s",
                (new_model, centroid, topic_id),
            )
            _history(
                cur,
                topic_id,
                "updated",
                run_id,
                details={"model_change": {"from": old_model, "to": new_model}, "members": len(members[topic_id])},
            )
            counts["topics"] += 1
        sims = {
            ids[k]: float(space[k] @ np.asarray(centroid_row, dtype=np.float32))
            for topic_id, centroid_row in load_active_centroids(conn, new_model).items()
            for k in members.get(topic_id, [])
        }
        cur.executemany(
            "UPDATE ml.topic_assignments SET embedding_model = %s, similarity = %s WHERE feedback_id = %s",
            [(new_model, round(sims.get(fid, 0.0), 6), fid) for fid in ids],
        )
        cur.execute(
            "UPDATE ml.feedback_enrichment SET embedding_model = %s WHERE feedback_id = ANY(%s)", (new_model, ids)
        )
    conn.commit()
    log.info("topic registry moved to %s: %s", new_model, counts)
    return counts
