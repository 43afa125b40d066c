"""Build the metrics layer (fct_metric_responses -> metric_cells -> metric_changes, nps_topic_impact)
with dbt on a stand-in marts.fct_feedback, for tests of the marts that read it (report, alerts)."""

from __future__ import annotations

import psycopg

from cfm.pipeline.transform import run_dbt

METRIC_MODELS = "fct_metric_responses metric_cells metric_changes nps_topic_impact"
# The columns of int_feedback_enriched that the metrics layer reads and a stand-in may lack, as the
# value the stand-in gives them.
ENRICHED_DEFAULTS = {
    "feedback_id": "null::text", "source": "'file_drop'::text", "submitted_at": "null::timestamptz",
    "rating_type": "null::text", "rating_value": "null::numeric", "rating_scale_min": "null::numeric",
    "rating_scale_max": "null::numeric", "nps_group": "null::text", "is_satisfied": "null::boolean",
    "ces_higher_is_easier": "true", "sentiment_label": "null::text", "category": "null::text",
    "region": "null::text", "store": "null::text", "agent": "null::text", "product": "null::text",
    "changed_at": "null::timestamptz",
}
# The customer attributes fct_metric_responses reads from marts.fct_feedback (dbt var customer_dimensions).
CUSTOMER_COLUMNS = ("customer_plan", "customer_region", "customer_tier")


def stand_in_enriched(conn: psycopg.Connection) -> None:
    """intermediate.int_feedback_enriched as a view over marts.fct_feedback, with defaults for the columns it lacks
    (and the stand-in fct_feedback gains empty customer attribute columns when it has none)."""
    for column in CUSTOMER_COLUMNS:
        conn.execute(f"alter table marts.fct_feedback add column if not exists {column} text")
    present = {r[0] for r in conn.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' and table_name = 'fct_feedback'")}
    extra = [f"{value} as {name}" for name, value in ENRICHED_DEFAULTS.items() if name not in present]
    conn.execute("drop view if exists intermediate.int_feedback_enriched")
    conn.execute("create view intermediate.int_feedback_enriched as select f.*"
                 + "".join(", " + e for e in extra) + " from marts.fct_feedback f")


def build_metric_marts(url: str, *, command: str = "run") -> None:
    run_dbt(url, ["seed", "--select", "t_quantiles"])
    run_dbt(url, [command, "--select", METRIC_MODELS])
