"""A scratch warehouse database for one bench run, and a warehouse filled from the bundled sample for the dbt benches."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

SAMPLE_DROP = Path(__file__).resolve().parents[1] / "sample_data" / "drop"


@contextmanager
def scratch_warehouse(admin: str, *, prepared: bool = False) -> Iterator[str]:
    """The URL of a new database cfm_bench_<random> on `admin`'s server with the warehouse schema (`prepared`:
    everything `cfm prepare` creates, ml and ops included); dropped afterwards."""
    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.warehouse.schema import ensure_warehouse

    name = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        url = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
        with psycopg.connect(url) as conn:
            (prepare_warehouse if prepared else ensure_warehouse)(conn)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def fill_sample_history(url: str, rows: int) -> tuple[int, int]:
    """Database `url` (empty) prepared, the bundled sample drop through the real ingest, staging views,
    validation and enrichment, then its landed rows copied in SQL up to `rows` records, change markers spread
    over the past year (older than the incremental lookback); analyzed. Returns (sample records, copies)."""
    from cfm.config import load_config
    from cfm.pipeline.enrich import enrich_new_records
    from cfm.pipeline.ingest import sync_source
    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.pipeline.staging_views import build_staging_views
    from cfm.quality.validation import validate_new_records
    from cfm.sources.file_drop import FileDropSource

    with psycopg.connect(url) as conn:
        prepare_warehouse(conn)
    with tempfile.TemporaryDirectory() as tmp:
        for src in sorted(SAMPLE_DROP.iterdir()):
            (Path(tmp) / src.name).write_bytes(src.read_bytes())
        sync_source(url, FileDropSource({"dir": tmp}), run_id="bench-base")
    build_staging_views(url)
    validate_new_records(url, "bench-base")
    enrich_new_records(url, "bench-base", config=load_config())
    with psycopg.connect(url) as conn:
        conn.execute("create table public.base_keys as select account, source_record_id, "
                     "md5(source || '|' || account || '|' || source_record_id) as feedback_id "
                     "from ops.validated_records where source = 'file_drop'")
        base = conn.execute("select count(*) from raw.file_drop").fetchone()[0]
        history = max(0, -(-rows // base) - 1)
        copy_landed(conn, list(range(1, history + 1)), "now() - interval '2 days' - (c.copy % 365) * interval '1 day'")
        conn.commit()
        conn.execute("analyze")
    return base, history


# (table, its feedback-id column or None when keyed by raw key, timestamp columns to spread)
LANDED = [
    ("raw.file_drop", None, ["extracted_at"]),
    ("ops.validated_records", None, ["validated_at"]),
    ("ops.enriched_records", "feedback_id", ["enriched_at"]),
    ("ml.feedback_enrichment", "feedback_id", ["enriched_at"]),
    ("ml.feedback_identity", "feedback_id", []),
    ("ml.topic_assignments", "feedback_id", ["assigned_at"]),
]
FEEDBACK_ID = "md5('file_drop' || '|' || b.account || '|' || b.source_record_id || '-' || c.copy)"


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    schema, name = table.split(".")
    return [r[0] for r in conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
        "order by ordinal_position", (schema, name))]


def copy_landed(conn: psycopg.Connection, copies: list[int], stamp: str, submitted: str | None = None) -> None:
    """Copy the base records (copy 0) as copies `copies`: new ids, timestamps from `stamp` (SQL of c.copy);
    `submitted` (SQL), when given, replaces the payload's submitted_at (else the sample's dates are kept)."""
    conn.execute("create temp table if not exists copies (copy int primary key)")
    conn.execute("truncate copies")
    with conn.cursor().copy("copy copies (copy) from stdin") as cp:
        for c in copies:
            cp.write_row((c,))
    for table, id_column, stamps in LANDED:
        cols = _columns(conn, table)
        select = []
        for col in cols:
            if col == "source_record_id":
                select.append("b.source_record_id || '-' || c.copy")
            elif col == id_column:
                select.append(FEEDBACK_ID)
            elif col in stamps:
                select.append(stamp)
            elif col == "payload" and submitted:
                select.append(f"b.payload || jsonb_build_object('submitted_at', {submitted})")
            else:
                select.append(f"b.{col}")
        if id_column:  # keyed by feedback id: find the base record's raw key through validated_records
            base = (f"(select t.*, v.account, v.source_record_id from {table} t join base_keys v "
                    "on v.feedback_id = t.feedback_id) b")
        else:
            base = f"(select t.* from {table} t join base_keys k using (account, source_record_id) where t.source = 'file_drop') b"
        conn.execute(f"insert into {table} ({', '.join(cols)}) select {', '.join(select)} from {base} cross join copies c")
