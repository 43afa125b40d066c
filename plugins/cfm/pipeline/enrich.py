"""Enrich: pseudonymise customers (feedback and customer-attribute records) and run the NLP stage on validated records not enriched yet.

Only records whose current payload has not been enriched are sent, so a re-run sends none.
Raw text and emails are read from staging here and never written anywhere in clear.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import psycopg

from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.stage import StageContext
from cfm.privacy.pseudonymise import customer_key, id_pseudonym, key_version, pseudonym_key
from cfm.warehouse import staging

log = logging.getLogger(__name__)


def run(ctx: StageContext) -> dict[str, Any]:
    with logged_stage(ctx.url, ctx.run_id, "enrich") as counts:
        counts.update(enrich_new_records(ctx.url, ctx.run_id, config=ctx.config, progress=ctx.progress))
    return counts


def enrich_new_records(url: str, run_id: str, *, config: dict[str, Any], progress: bool = False) -> dict[str, int]:
    from cfm.nlp.warehouse_enrichment import enrich_feedback
    from cfm.privacy.customer_identity import key_customer_records
    from cfm.privacy.erasure import erased_keys

    key = pseudonym_key()
    version = key_version(key)
    with psycopg.connect(url) as conn:
        customers = key_customer_records(conn, key, run_id, erased_keys(conn))
        items = staging.unenriched_records(conn)
        for item in items:
            item["customer_key"] = customer_key(item["customer_email"], item["customer_external_id"], key)
        suppressed = _purge_erased(conn, items, key)
        items = [i for i in items if i["feedback_id"] not in suppressed]
        log.info("[enrich] %d records to enrich, %d purged (erased customers)", len(items), len(suppressed))
        if not items:
            return {"items": 0, "suppressed": len(suppressed), **customers}
        pseudonymised = _pseudonymise_ids(conn, items, key, run_id)
        with conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(
                    """
                    insert into ml.feedback_identity (feedback_id, customer_key, key_version, run_id)
                    values (%s, %s, %s, %s)
                    on conflict (feedback_id) do update set customer_key = excluded.customer_key,
                        key_version = excluded.key_version, run_id = excluded.run_id
                    where ml.feedback_identity.customer_key is distinct from excluded.customer_key
                    """,
                    [(i["feedback_id"], i["customer_key"], version, run_id) for i in items],
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
        counts = enrich_feedback(conn, nlp_items, config=config.get("nlp") or {}, run_id=run_id, progress=progress)
        with conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(
                    """
                    insert into ops.enriched_records (feedback_id, payload_hash, run_id) values (%s, %s, %s)
                    on conflict (feedback_id) do update set payload_hash = excluded.payload_hash,
                        run_id = excluded.run_id, enriched_at = now()
                    """,
                    [(i["feedback_id"], i["payload_hash"], run_id) for i in items],
                )
    return {"items": len(items), "suppressed": len(suppressed), "ids_pseudonymised": pseudonymised, **customers,
            **{k: v for k, v in counts.items() if k != "items"}}


def _pseudonymise_ids(conn: psycopg.Connection, items: list[dict[str, Any]], key: bytes, run_id: str) -> int:
    """Store a pseudonym for every id of these records (and of their answers' questions) that carries PII."""
    values = {i[c] for i in items for c in staging.ID_COLUMNS if i.get(c)}
    values |= staging.answer_question_ids(conn, [i["feedback_id"] for i in items])
    rows = [(hashlib.md5(v.encode("utf-8")).hexdigest(), p) for v in sorted(values) if (p := id_pseudonym(v, key))]
    if rows:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "insert into ml.id_pseudonyms (id_digest, pseudonym, key_version, run_id) values (%s, %s, %s, %s) "
                "on conflict (id_digest) do update set pseudonym = excluded.pseudonym, "
                "key_version = excluded.key_version, run_id = excluded.run_id "
                "where ml.id_pseudonyms.pseudonym is distinct from excluded.pseudonym",
                [(digest, p, key_version(key), run_id) for digest, p in rows],
            )
    log.info("[enrich] %d ids carrying PII pseudonymised", len(rows))
    return len(rows)


def _purge_erased(conn: psycopg.Connection, items: list[dict[str, Any]], key: bytes) -> set[str]:
    """Records a source delivered again for a customer who asked to be erased are deleted, not stored."""
    from cfm.privacy.erasure import erased_keys, purge_quarantined_payloads, purge_records

    erased = erased_keys(conn)
    if not erased:
        return set()
    hits = [i for i in items if i["customer_key"] in erased]
    with conn.transaction():
        if hits:
            purge_records(conn, [(i["source"], i["account"], i["source_record_id"], i["feedback_id"]) for i in hits])
        purge_quarantined_payloads(conn, erased, key)
    return {i["feedback_id"] for i in hits}
