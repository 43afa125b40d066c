"""Enrich: pseudonymise customers (feedback and customer-attribute records) and run the NLP stage on validated records not enriched yet.

Only records whose current payload has not been enriched are sent, so a re-run sends none.
Raw text and emails are read from staging here and never written anywhere in clear.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg

from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.stage import StageContext
from cfm.privacy.pseudonymise import customer_key, id_pseudonym, key_version, pseudonym_key
from cfm.warehouse import staging

log = logging.getLogger(__name__)


def run(ctx: StageContext) -> dict[str, Any]:
    """`cfm run`'s enrichment: in `enrich.workers` processes at once, or in this one when that is 1."""
    from cfm.config import enrich_config

    with logged_stage(ctx.url, ctx.run_id, "enrich") as counts:
        if enrich_config(ctx.config).workers > 1:
            from cfm.pipeline.enrich_workers import enrich_in_workers

            counts.update(enrich_in_workers(ctx.url, ctx.run_id, config=ctx.config, progress=ctx.progress))
        else:
            counts.update(enrich_new_records(ctx.url, ctx.run_id, config=ctx.config, progress=ctx.progress))
    return counts


def split_key_ranges(ids: Sequence[str], parts: int) -> list[dict[str, str | None]]:
    """Disjoint [lo, hi) feedback_id ranges, about equally full, that together cover every id.

    `ids` are the backlog's keys; the first range is open below and the last open above, so
    records that land after planning still fall in exactly one range. A None bound is open.
    """
    keys = sorted(set(ids))
    parts = max(1, min(int(parts), len(keys)))
    return ranges_between([keys[k] for k in edge_positions(len(keys), parts)])


def edge_positions(count: int, parts: int) -> list[int]:
    """Positions, in the sorted backlog of `count` keys, of the keys that start ranges 2..parts."""
    parts = max(1, min(int(parts), count))
    return [count * k // parts for k in range(1, parts)]


def ranges_between(edges: Sequence[str]) -> list[dict[str, str | None]]:
    """The ranges that sorted, distinct `edges` cut the key space into: the first open below, the last open above."""
    bounds: list[str | None] = [None, *edges, None]
    return [{"lo": bounds[k], "hi": bounds[k + 1]} for k in range(len(bounds) - 1)]


def in_key_range(feedback_id: str, key_range: Mapping[str, str | None]) -> bool:
    lo, hi = key_range.get("lo"), key_range.get("hi")
    return (lo is None or feedback_id >= lo) and (hi is None or feedback_id < hi)


def plan_ranges(url: str, run_id: str, *, config: dict[str, Any], min_parts: int = 1,
                max_parts: int | None = None, min_records: int = 1) -> list[dict[str, str | None]]:
    """Key customer records once, then split the enrichment backlog into ranges for mapped tasks (or workers).

    About `enrich.records_per_task` records a range, at least `min_parts` and at most `max_parts`
    (default `enrich.max_tasks`) ranges, none under `min_records` records unless there is only
    one. The warehouse counts the backlog and picks the boundary keys, so planning holds no list
    of ids however large the backlog. Always at least one range, so the enrich task (and its
    asset event) runs on an empty backlog too.
    """
    return plan_ranges_counted(url, run_id, config=config, min_parts=min_parts, max_parts=max_parts,
                               min_records=min_records)[0]


def plan_ranges_counted(url: str, run_id: str, *, config: dict[str, Any], min_parts: int = 1,
                        max_parts: int | None = None, min_records: int = 1
                        ) -> tuple[list[dict[str, str | None]], dict[str, Any]]:
    """`plan_ranges`, and the counts it logged (customers keyed, backlog, ranges)."""
    from cfm.config import enrich_config

    cfg = enrich_config(config)
    with logged_stage(url, run_id, "enrich", "plan") as counts:
        with psycopg.connect(url) as conn:
            counts.update(_key_customers(conn, pseudonym_key(), run_id))
            backlog = staging.unenriched_count(conn)
            parts = max(min_parts, -(-backlog // cfg.records_per_task))
            parts = min(parts, cfg.max_tasks if max_parts is None else max_parts, max(1, backlog // min_records))
            # Keys that arrive between the two queries only unbalance the ranges: the open ends still cover them.
            ranges = ranges_between(staging.unenriched_keys_at(conn, edge_positions(backlog, parts)))
        counts.update(backlog=backlog, ranges=len(ranges))
    log.info("[enrich] %d records to enrich in %d range(s)", backlog, len(ranges))
    return ranges, dict(counts)


def run_range(url: str, run_id: str, key_range: Mapping[str, str | None], *, config: dict[str, Any]) -> dict[str, Any]:
    """One mapped task: enrich the backlog's records whose feedback_id is in `key_range`."""
    label = f"keys {key_range.get('lo') or ''}..{key_range.get('hi') or ''}"
    with logged_stage(url, run_id, "enrich", label) as counts:
        counts.update(enrich_new_records(url, run_id, config=config, key_range=key_range, key_customers=False))
    return counts


def _key_customers(conn: psycopg.Connection, key: bytes, run_id: str) -> dict[str, int]:
    from cfm.privacy.customer_identity import key_customer_records
    from cfm.privacy.erasure import erased_keys, purge_quarantined_payloads

    erased = erased_keys(conn)
    counts = key_customer_records(conn, key, run_id, erased)
    if erased:
        with conn.transaction():
            purge_quarantined_payloads(conn, erased, key)
    return counts


def enrich_new_records(url: str, run_id: str, *, config: dict[str, Any], progress: bool = False,
                       key_range: Mapping[str, str | None] | None = None, key_customers: bool = True,
                       chunk_size: int | None = None) -> dict[str, Any]:
    """Enrich validated records not enriched yet (those in `key_range`, else all), chunk by chunk.

    Records stream from a server-side cursor on a connection of their own, so at most
    `chunk_size` (config enrich.chunk_size) of them are in memory; each chunk is enriched and
    committed before the next is read. The first chunk fits the topic registry when there is
    none; later chunks join its topics. Topic sizes and emerging flags are refreshed once, after
    the last chunk (also after a failure, for the chunks committed before it).
    """
    from cfm.config import enrich_config
    from cfm.privacy.erasure import erased_keys

    key = pseudonym_key()
    size = int(chunk_size or enrich_config(config).chunk_size)
    lo, hi = (key_range or {}).get("lo"), (key_range or {}).get("hi")
    totals: dict[str, Any] = {"items": 0, "suppressed": 0, "ids_pseudonymised": 0}
    with psycopg.connect(url) as conn, psycopg.connect(url) as read_conn:
        if key_customers:
            totals.update(_key_customers(conn, key, run_id))
        erased = erased_keys(conn)
        try:
            for chunk in staging.stream_unenriched_records(read_conn, lo, hi, chunk_size=size):
                for name, value in _enrich_chunk(conn, chunk, key, erased, run_id, config, progress).items():
                    # "topics" is the active count after the chunk; every other count adds up.
                    totals[name] = value if name == "topics" else totals.get(name, 0) + value
                log.info("[enrich] %d records enriched so far (keys %s..%s)", totals["items"], lo or "", hi or "")
        except Exception:
            if totals["items"]:  # the chunks committed before the failure still get their stats
                _refresh_topic_stats(conn, config, after_failure=True)
            raise
        if totals["items"]:
            _refresh_topic_stats(conn, config)
    return totals


def _refresh_topic_stats(conn: psycopg.Connection, config: dict[str, Any], *, after_failure: bool = False) -> None:
    """Topic sizes and emerging flags, once after the last chunk (chunks skip it: it scans every assignment)."""
    from cfm.nlp.step_timer import timed
    from cfm.nlp.topics.store import refresh_topic_stats_locked

    try:
        if after_failure:
            conn.rollback()
        with timed("topics"):
            refresh_topic_stats_locked(conn, config=config.get("nlp") or {})
    except psycopg.Error:
        if not after_failure:
            raise
        log.warning("[enrich] topic stats not refreshed after the failure; the next enrichment refreshes them")


def _enrich_chunk(conn: psycopg.Connection, items: list[dict[str, Any]], key: bytes, erased: set[str], run_id: str,
                  config: dict[str, Any], progress: bool) -> dict[str, Any]:
    from cfm.nlp.step_timer import timed
    from cfm.nlp.warehouse_enrichment import enrich_feedback

    version = key_version(key)
    for item in items:
        item["customer_key"] = customer_key(item["customer_email"], item["customer_external_id"], key)
    suppressed = _purge_erased(conn, items, erased)
    items = [i for i in items if i["feedback_id"] not in suppressed]
    if not items:
        return {"suppressed": len(suppressed)}
    with timed("pseudonymise"):
        pseudonymised = _pseudonymise_ids(conn, items, key, run_id)
    with conn.transaction():
        # One statement over arrays (unnest) rather than a row per statement: 1.1-1.9x faster at 10,000 rows.
        conn.execute(
            """
            insert into ml.feedback_identity (feedback_id, customer_key, key_version, run_id)
            select f, k, %s, %s from unnest(%s::text[], %s::text[]) as t(f, k)
            on conflict (feedback_id) do update set customer_key = excluded.customer_key,
                key_version = excluded.key_version, run_id = excluded.run_id
            where ml.feedback_identity.customer_key is distinct from excluded.customer_key
            """,
            (version, run_id, [i["feedback_id"] for i in items], [i["customer_key"] for i in items]),
        )
    nlp_items = [
        {
            "feedback_id": i["feedback_id"],
            "text": i["text_raw"],
            "language_declared": i["language_declared"],
            "rating_type": i["rating_type"],
            "rating_value": float(i["rating_value"]) if i["rating_value"] is not None else None,
            "rating_scale_min": float(i["rating_scale_min"]) if i["rating_scale_min"] is not None else None,
            "rating_scale_max": float(i["rating_scale_max"]) if i["rating_scale_max"] is not None else None,
            "submitted_at": i["submitted_at"],
        }
        for i in items
    ]
    counts = enrich_feedback(conn, nlp_items, config=config.get("nlp") or {}, run_id=run_id, progress=progress,
                             refresh_topic_stats=False)
    with conn.transaction():
        conn.execute(
            """
            insert into ops.enriched_records (feedback_id, payload_hash, run_id)
            select f, h, %s from unnest(%s::text[], %s::text[]) as t(f, h)
            on conflict (feedback_id) do update set payload_hash = excluded.payload_hash,
                run_id = excluded.run_id, enriched_at = now()
            """,
            (run_id, [i["feedback_id"] for i in items], [i["payload_hash"] for i in items]),
        )
    return {"suppressed": len(suppressed), "ids_pseudonymised": pseudonymised,
            **{k: v for k, v in counts.items() if isinstance(v, int)}}


def _pseudonymise_ids(conn: psycopg.Connection, items: list[dict[str, Any]], key: bytes, run_id: str) -> int:
    """Store a pseudonym for every id of these records (and of their answers' questions) that carries PII.

    Ids whose pseudonym under this key is stored already are not checked again: the pseudonym
    would be the same and the upsert write nothing. Returns how many ids carry PII.
    """
    version = key_version(key)
    values = {i[c] for i in items for c in staging.ID_COLUMNS if i.get(c)}
    values |= staging.answer_question_ids(conn, [i["feedback_id"] for i in items])
    by_digest = {hashlib.md5(v.encode("utf-8")).hexdigest(): v for v in values}
    stored = {d for (d,) in conn.execute(
        "select id_digest from ml.id_pseudonyms where id_digest = any(%s) and key_version = %s",
        (list(by_digest), version))}
    rows = [(d, p) for d, v in sorted(by_digest.items(), key=lambda dv: dv[1])
            if d not in stored and (p := id_pseudonym(v, key))]
    if rows:
        with conn.transaction():
            conn.execute(
                "insert into ml.id_pseudonyms (id_digest, pseudonym, key_version, run_id) "
                "select d, p, %s, %s from unnest(%s::text[], %s::text[]) as t(d, p) "
                "on conflict (id_digest) do update set pseudonym = excluded.pseudonym, "
                "key_version = excluded.key_version, run_id = excluded.run_id "
                "where ml.id_pseudonyms.pseudonym is distinct from excluded.pseudonym",
                (version, run_id, [d for d, _ in rows], [p for _, p in rows]),
            )
    log.info("[enrich] %d ids carrying PII pseudonymised (%d stored already)", len(rows) + len(stored), len(stored))
    return len(rows) + len(stored)


def _purge_erased(conn: psycopg.Connection, items: list[dict[str, Any]], erased: set[str]) -> set[str]:
    """Records a source delivered again for a customer who asked to be erased are deleted, not stored."""
    from cfm.privacy.erasure import purge_records

    hits = [i for i in items if i["customer_key"] in erased]
    if hits:
        with conn.transaction():
            purge_records(conn, [(i["source"], i["account"], i["source_record_id"], i["feedback_id"]) for i in hits])
    return {i["feedback_id"] for i in hits}
