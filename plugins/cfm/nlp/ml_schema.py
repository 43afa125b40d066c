"""The one definition of the ml schema (enrichment, embeddings, topics). DDL is idempotent (IF NOT EXISTS)."""

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

CREATE TABLE IF NOT EXISTS ml.embeddings (
    model_name  text        NOT NULL,
    text_hash   text        NOT NULL,
    dim         int         NOT NULL,
    vector      real[]      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_name, text_hash)
);

CREATE TABLE IF NOT EXISTS ml.feedback_enrichment (
    feedback_id      text PRIMARY KEY,
    text_hash        text NOT NULL,
    text_redacted    text NOT NULL,
    pii_types        text[] NOT NULL DEFAULT '{}',
    language         text NOT NULL,
    language_model   text NOT NULL,
    sentiment_label  text NOT NULL CHECK (sentiment_label IN ('positive', 'neutral', 'negative')),
    sentiment_score  double precision NOT NULL CHECK (sentiment_score BETWEEN -1 AND 1),
    sentiment_model  text NOT NULL,
    category         text NOT NULL,
    categories       text[] NOT NULL,
    department       text NOT NULL,
    feedback_type    text NOT NULL CHECK (feedback_type IN ('complaint', 'suggestion', 'praise', 'question', 'other')),
    classifier_model text NOT NULL,
    embedding_model  text NOT NULL,
    submitted_at     timestamptz,
    run_id           text NOT NULL,
    enriched_at      timestamptz NOT NULL DEFAULT now()
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


def ensure_ml_schema(conn) -> None:
    """Create the ml schema and this stage's tables if they do not exist (commits)."""
    with conn.cursor() as cur:
        cur.execute(ML_DDL)
    conn.commit()
