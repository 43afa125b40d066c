"""Loop fixtures: the two relations the loop reads, created as plain tables in a real database.

The loop's own tests feed it rows directly; the end-to-end test builds the real dbt models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest

FEEDBACK_COLUMNS = {
    "feedback_id": "text", "source": "text", "account": "text", "customer_key": "text", "thread_id": "text",
    "resurvey_case_id": "text", "submitted_at": "timestamptz", "channel": "text", "language": "text",
    "text_redacted": "text", "sentiment_label": "text", "sentiment_score": "double precision", "category": "text",
    "department": "text", "feedback_type": "text", "topic_id": "integer", "rating_type": "text",
    "rating_value": "numeric", "rating_scale_min": "numeric", "rating_scale_max": "numeric",
    "ces_higher_is_easier": "boolean",
}


@pytest.fixture
def loop_db(warehouse: str) -> Iterator[tuple[str, Callable[..., None], Callable[..., None]]]:
    """(url, add_feedback(**columns), add_reply(**columns)) over a prepared warehouse."""
    with psycopg.connect(warehouse) as conn:
        cols = ", ".join(f"{k} {v}" for k, v in FEEDBACK_COLUMNS.items())
        conn.execute(f"create table intermediate.int_loop_feedback ({cols})")
        conn.execute("create table intermediate.int_feedback_unioned (feedback_id text, customer_email text)")
        conn.execute("create table intermediate.int_loop_company_replies"
                     " (source text, account text, thread_id text, feedback_id text, replied_at timestamptz)")

    def add_feedback(customer_email: str | None = None, **row: Any) -> None:
        if customer_email:
            with psycopg.connect(warehouse) as conn:
                conn.execute("insert into intermediate.int_feedback_unioned values (%s, %s)", (row["feedback_id"], customer_email))
        base: dict[str, Any] = {"source": "file_drop", "account": "acct", "channel": "survey", "language": "en",
                                "text_redacted": "", "sentiment_label": "neutral", "sentiment_score": 0.0,
                                "category": "other", "feedback_type": "other", "rating_type": "none"}
        base.update(row)
        with psycopg.connect(warehouse) as conn:
            conn.execute(f"insert into intermediate.int_loop_feedback ({', '.join(base)}) values ({', '.join(['%s'] * len(base))})",
                         list(base.values()))

    def add_reply(source: str, replied_at: datetime, *, account: str = "acct", thread_id: str | None = None,
                  feedback_id: str | None = None) -> None:
        with psycopg.connect(warehouse) as conn:
            conn.execute("insert into intermediate.int_loop_company_replies values (%s, %s, %s, %s, %s)",
                         (source, account, thread_id, feedback_id, replied_at))

    yield warehouse, add_feedback, add_reply
