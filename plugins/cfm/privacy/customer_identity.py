"""Pseudonymous keys for customer-attribute records (customer file drop, CRM contacts).

A customer record can carry an email and an external id; feedback is keyed by its email
when it has one, else by its external id (cfm.privacy.pseudonymise.customer_key). So each
customer record gets one key per identity it carries, and dim_customers is reachable from
feedback keyed either way. Only keys reach dbt's int_customers; the email stays in raw and
staging. Records of erased customers are deleted instead of keyed.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from cfm.privacy.pseudonymise import customer_key, key_version
from cfm.warehouse import staging

log = logging.getLogger(__name__)


def identity_keys(email: str | None, external_id: str | None, key: bytes) -> dict[str, str]:
    """{'email': key, 'id': key} for the identities a customer record carries."""
    keys = {}
    if email and email.strip():
        keys["email"] = customer_key(email, None, key)
    if external_id and external_id.strip():
        keys["id"] = customer_key(None, external_id, key)
    return {kind: value for kind, value in keys.items() if value}


def key_customer_records(conn: psycopg.Connection, key: bytes, run_id: str, erased: set[str]) -> dict[str, int]:
    """Key every staged customer record whose payload changed since it was keyed; purge erased customers' records."""
    items = staging.unkeyed_customers(conn)
    version = key_version(key)
    keyed = purged = 0
    with conn.transaction():
        for item in items:
            keys = identity_keys(item["customer_email"], item["customer_external_id"], key)
            where = (item["source"], item["account"], item["source_record_id"])
            conn.execute("delete from ml.customer_identity where source = %s and account = %s and source_record_id = %s", where)
            if erased & set(keys.values()):
                conn.execute(sql.SQL("delete from raw.{} where account = %s and source_record_id = %s")
                             .format(sql.Identifier(item["source"])), where[1:])
                purged += 1
                continue
            for kind, value in keys.items():
                conn.execute(
                    "insert into ml.customer_identity (source, account, source_record_id, key_kind, customer_key, "
                    "payload_hash, key_version, run_id) values (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (*where, kind, value, item["payload_hash"], version, run_id),
                )
            keyed += 1
    log.info("[customers] %d customer records keyed, %d purged (erased customers)", keyed, purged)
    return {"customers_keyed": keyed, "customers_purged": purged}


def erase_customer_records(conn: psycopg.Connection, keys: set[str]) -> int:
    """Delete the customer-attribute records of the customers with these keys: raw rows, their keys
    (every identity of the record), and their attribute history in dim_customers and int_customers."""
    rows = conn.execute("select distinct source, account, source_record_id from ml.customer_identity "
                        "where customer_key = any(%s)", (list(keys),)).fetchall()
    all_keys = set(keys)
    for source, account, record_id in rows:
        where = (source, account, record_id)
        all_keys |= {k for (k,) in conn.execute("select customer_key from ml.customer_identity where source = %s "
                                                 "and account = %s and source_record_id = %s", where)}
        conn.execute(sql.SQL("delete from raw.{} where account = %s and source_record_id = %s").format(sql.Identifier(source)),
                     where[1:])
        conn.execute("delete from ml.customer_identity where source = %s and account = %s and source_record_id = %s", where)
    for table in ("marts.dim_customers", "intermediate.int_customers"):
        if conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()[0]:
            conn.execute(sql.SQL("delete from {} where customer_key = any(%s)").format(sql.SQL(table)), (list(all_keys),))
    return len(rows)
