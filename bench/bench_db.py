"""A scratch warehouse database for one bench run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg


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
