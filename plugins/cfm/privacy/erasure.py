"""Right to erasure: delete one customer's feedback everywhere, embeddings included, and log it.

The customer is named by email or external id; we find their records through the staging
contract (cfm.warehouse.staging) (clear identity) and ml.feedback_identity (pseudonymous key), then delete raw rows,
validation/enrichment state, ml rows, embeddings no other feedback uses, quarantined
payloads and the fact rows. The request stays in ops.erasure_requests (key only, no email),
so a record the source delivers again later is purged at enrichment instead of stored.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import psycopg
from psycopg import sql

from cfm.privacy.customer_identity import erase_customer_records
from cfm.privacy.pseudonymise import customer_key, normalise_email, pseudonym_key
from cfm.warehouse import quarantine, staging

log = logging.getLogger(__name__)

RecordKey = tuple[str, str, str, str]  # source, account, source_record_id, feedback_id


def find_records(conn: psycopg.Connection, key: str, email: str | None, external_id: str | None) -> list[RecordKey]:
    return staging.customer_records(conn, key, normalise_email(email) if email else None, external_id)


def purge_records(conn: psycopg.Connection, records: list[RecordKey]) -> dict[str, int]:
    """Delete the given records from every table Python owns, and from the fact table."""
    counts: dict[str, int] = {}

    def run(label: str, query: sql.Composable | str, params: Any) -> None:
        counts[label] = counts.get(label, 0) + conn.execute(query, params).rowcount

    ids = [r[3] for r in records]
    hashes = [h for (h,) in conn.execute(
        "select distinct text_hash from ml.feedback_enrichment where feedback_id = any(%s) and text_hash is not null", (ids,))]
    if conn.execute("select to_regclass('ml.aspect_sentiment') is not null").fetchone()[0]:
        # Clauses are embedded on their own (aspect sentiment): their vectors go too.
        hashes += [h for (h,) in conn.execute(
            "select distinct encode(sha256(convert_to(c, 'UTF8')), 'hex') from ml.aspect_sentiment, unnest(clauses) c "
            "where feedback_id = any(%s)", (ids,))]
        run("ml.aspect_sentiment", "delete from ml.aspect_sentiment where feedback_id = any(%s)", (ids,))
    for source, account, record_id, _ in records:
        run("raw", sql.SQL("delete from raw.{} where account = %s and source_record_id = %s").format(sql.Identifier(source)),
            (account, record_id))
        counts["quarantine"] = counts.get("quarantine", 0) + quarantine.delete_for_record(conn, source, account, record_id)
        run("validated", "delete from ops.validated_records where source = %s and account = %s and source_record_id = %s",
            (source, account, record_id))
    for table in ("ops.enriched_records", "ml.feedback_enrichment", "ml.topic_assignments", "ml.feedback_identity"):
        run(table, sql.SQL("delete from {} where feedback_id = any(%s)").format(sql.SQL(table)), (ids,))
    if hashes and conn.execute("select to_regclass('ml.embeddings') is not null").fetchone()[0]:
        run("ml.embeddings", "delete from ml.embeddings e where text_hash = any(%s) and not exists "
            "(select 1 from ml.feedback_enrichment f where f.text_hash = e.text_hash)", (hashes,))
    if conn.execute("select to_regclass('marts.fct_feedback') is not null").fetchone()[0]:
        run("marts.fct_feedback", "delete from marts.fct_feedback where feedback_id = any(%s)", (ids,))
    return counts


def erase_customer(url: str, *, email: str | None = None, external_id: str | None = None) -> dict[str, Any]:
    if not (email or external_id):
        raise ValueError("name the customer by email or external id")
    key = customer_key(email, external_id, pseudonym_key())
    with psycopg.connect(url) as conn, conn.transaction():
        request_id = conn.execute("insert into ops.erasure_requests (customer_key) values (%s) returning request_id",
                                  (key,)).fetchone()[0]
        records = find_records(conn, key, email, external_id)
        counts = purge_records(conn, records)
        counts["customer_records"] = erase_customer_records(conn, {key})
        # Parser rejects carry the payload as received; match the email in it.
        if email:
            counts["quarantine_payloads"] = quarantine.delete_payloads_containing(conn, normalise_email(email))
        conn.execute("update ops.erasure_requests set completed_at = now(), rows_deleted = %s where request_id = %s",
                     (json.dumps(counts), request_id))
    log.info("[erasure] request %s: %d records, %s", request_id, len(records), counts)
    return {"request_id": request_id, "records": len(records), "deleted": counts}


EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def purge_quarantined_payloads(conn: psycopg.Connection, erased: set[str], key: bytes) -> int:
    """Delete parser-rejected payloads that name an erased customer by email (they have no feedback id)."""
    deleted = 0
    for quarantine_id, payload in quarantine.parser_reject_payloads(conn):
        if any(customer_key(email, None, key) in erased for email in EMAIL_IN_TEXT.findall(payload)):
            deleted += quarantine.delete_entry(conn, quarantine_id)
    return deleted


def erased_keys(conn: psycopg.Connection) -> set[str]:
    return {k for (k,) in conn.execute("select customer_key from ops.erasure_requests where completed_at is not null")}
