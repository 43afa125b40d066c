"""The one definition of the ml schema (identity, embeddings, enrichment, topics). DDL is idempotent."""

from __future__ import annotations

ML_DDL = """
CREATE SCHEMA IF NOT EXISTS ml;

-- Pseudonymous customer per feedback item (written by the enrich stage; no email here).
create table if not exists ml.feedback_identity (
    feedback_id  text primary key,
    customer_key text,
    key_version  text not null,
    run_id       text not null
);
create index if not exists feedback_identity_customer_idx on ml.feedback_identity (customer_key);

-- Pseudonyms of ids that carry PII (a record id that is an email, a thread id that is a phone):
-- dbt replaces such an id by its pseudonym wherever it reads it (macro public_id), so no mart
-- holds it in clear and joins on it still match. Keyed by md5 of the clear id; ids without PII
-- have no row and stay as they are (cfm.privacy.pseudonymise.id_pseudonym).
create table if not exists ml.id_pseudonyms (
    id_digest   text primary key,
    pseudonym   text not null,
    key_version text not null,
    run_id      text not null
);

-- Feedback whose raw payload retention removed (cfm.privacy.retention): the staging contract's
-- columns with the text redacted, no email or external id, ids pseudonymised and only the segment
-- attributes, so every rebuild of the marts (full refresh included) still has the record
-- (dbt's int_feedback_unioned unions it in). Erasure deletes it like every ml row of a customer.
create table if not exists ml.retained_feedback (
    feedback_id       text primary key,
    source            text        not null,
    account           text        not null,
    source_record_id  text        not null,
    payload_hash      text        not null,
    run_id            text        not null,
    extracted_at      timestamptz not null,
    source_updated_at timestamptz,
    submitted_at      timestamptz,
    channel           text,
    language_declared text,
    text_redacted     text,
    rating_type       text,
    rating_value      numeric,
    rating_scale_min  numeric,
    rating_scale_max  numeric,
    survey_id         text,
    question_id       text,
    thread_id         text,
    attributes        jsonb       not null default '{}',
    retained_at       timestamptz not null default now()
);

-- Pseudonymous keys of each customer-attribute record (customer file drop, CRM), one per identity
-- the record carries (email, external id), so feedback keyed either way finds the customer.
create table if not exists ml.customer_identity (
    source           text not null,
    account          text not null,
    source_record_id text not null,
    key_kind         text not null check (key_kind in ('email', 'id')),
    customer_key     text not null,
    payload_hash     text not null,
    key_version      text not null,
    run_id           text not null,
    primary key (source, account, source_record_id, key_kind)
);
create index if not exists customer_identity_customer_idx on ml.customer_identity (customer_key);

CREATE TABLE IF NOT EXISTS ml.embeddings (
    model_name  text        NOT NULL,
    text_hash   text        NOT NULL,
    dim         int         NOT NULL,
    vector      real[]      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_name, text_hash)
);

CREATE TABLE IF NOT EXISTS ml.topics (
    topic_id             int PRIMARY KEY,
    label                text NOT NULL,
    keywords             text[] NOT NULL DEFAULT '{}',
    representative_texts text[] NOT NULL DEFAULT '{}',
    status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged', 'retired')),
    merged_into          int,
    size                 int NOT NULL DEFAULT 0,
    embedding_model      text NOT NULL,
    centroid             real[] NOT NULL,
    is_emerging          boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- The label's language (the configured report language when the topic has members written in it).
ALTER TABLE ml.topics ADD COLUMN IF NOT EXISTS label_language text;

CREATE TABLE IF NOT EXISTS ml.topic_assignments (
    feedback_id     text PRIMARY KEY,
    topic_id        int,
    similarity      double precision,
    method          text NOT NULL CHECK (method IN ('cluster', 'incremental', 'reassigned')),
    embedding_model text NOT NULL,
    run_id          text NOT NULL,
    assigned_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS topic_assignments_topic_idx ON ml.topic_assignments (topic_id);

-- One manifest per enrichment run: full nlp config, model provenance, package versions, seed (cfm.nlp.provenance).
CREATE TABLE IF NOT EXISTS ml.enrichment_runs (
    run_id      text PRIMARY KEY,
    config_hash text NOT NULL,
    manifest    jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Aspect-level sentiment: the clauses of one item that fall in one topic, pooled (cfm.nlp.aspects).
CREATE TABLE IF NOT EXISTS ml.aspect_sentiment (
    feedback_id     text NOT NULL,
    topic_id        int  NOT NULL,
    clause_count    int  NOT NULL CHECK (clause_count > 0),
    clauses         text[] NOT NULL,
    sentiment_label text NOT NULL CHECK (sentiment_label IN ('positive', 'neutral', 'negative')),
    sentiment_score double precision NOT NULL CHECK (sentiment_score BETWEEN -1 AND 1),
    sentiment_model text NOT NULL,
    run_id          text NOT NULL,
    scored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feedback_id, topic_id)
);
CREATE INDEX IF NOT EXISTS aspect_sentiment_topic_idx ON ml.aspect_sentiment (topic_id);

CREATE TABLE IF NOT EXISTS ml.topic_history (
    event_id         bigserial PRIMARY KEY,
    topic_id         int NOT NULL,
    event            text NOT NULL CHECK (event IN ('created', 'updated', 'merged', 'split', 'retired')),
    related_topic_id int,
    details          jsonb NOT NULL DEFAULT '{}',
    run_id           text NOT NULL,
    occurred_at      timestamptz NOT NULL DEFAULT now()
);
"""


def feedback_enrichment_ddl() -> str:
    """ml.feedback_enrichment: the feedback id, one column per enrichment step output (cfm.nlp.steps.STEPS), lineage.

    Columns a new step adds are added to an existing table too (empty until its rows are re-enriched).
    Columns carried to the marts are marked in their comment; dbt's `enrichment_columns()` reads it.
    """
    from cfm.nlp.steps import enrichment_columns

    columns = enrichment_columns()
    body = ",\n".join(f"    {c.name} {c.sql_type} {c.constraints}".rstrip() for c in columns)
    ddl = [
        "CREATE TABLE IF NOT EXISTS ml.feedback_enrichment (\n    feedback_id text PRIMARY KEY,\n" + body + ",\n"
        "    submitted_at timestamptz,\n    run_id text NOT NULL,\n    enriched_at timestamptz NOT NULL DEFAULT now()\n);"
    ]
    for c in columns:
        ddl.append(f"ALTER TABLE ml.feedback_enrichment ADD COLUMN IF NOT EXISTS {c.name} {c.sql_type};")
        comment = f"'{MARTS_COMMENT}'" if c.in_marts else "NULL"
        ddl.append(f"COMMENT ON COLUMN ml.feedback_enrichment.{c.name} IS {comment};")
    return "\n".join(ddl)


# The comment that marks an enrichment column dbt carries through to the marts (macros/enrichment_columns.sql).
MARTS_COMMENT = "cfm: in marts"


def _schema_marker() -> str:
    import hashlib

    return "cfm ddl " + hashlib.sha256((ML_DDL + feedback_enrichment_ddl()).encode("utf-8")).hexdigest()[:16]


def _marker(conn) -> str | None:
    row = conn.execute("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = 'ml'").fetchone()
    return row[0] if row else None


def ensure_ml_schema(conn, *, only_if_stale: bool = False) -> None:
    """Create the ml schema and its tables if they do not exist (commits).

    One session at a time runs the DDL (an advisory lock), holding no other lock while it waits
    (what the connection did before is committed first): enrichment processes running at once
    would otherwise deadlock on the DDL's table locks. The schema's comment records which DDL
    ran; `only_if_stale` skips the DDL when it is this code's.
    """
    marker = _schema_marker()
    conn.commit()
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('cfm.ml_schema'))")
    if not (only_if_stale and _marker(conn) == marker):
        with conn.cursor() as cur:
            cur.execute(ML_DDL)
            cur.execute(feedback_enrichment_ddl())
            cur.execute(f"COMMENT ON SCHEMA ml IS '{marker}'")  # a hex digest: nothing to quote
    conn.commit()


def ensure_ml_schema_current(conn) -> None:
    """`ensure_ml_schema` unless this code's DDL already ran on the warehouse (commits).

    Per enrichment batch: the DDL's ALTER and CREATE INDEX take table locks that would queue a
    worker behind (or deadlock with) another worker's open enrichment transaction.
    """
    if _marker(conn) != _schema_marker():
        ensure_ml_schema(conn, only_if_stale=True)
    conn.commit()
