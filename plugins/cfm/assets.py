"""Airflow Assets that chain the DAGs: ingest -> enrich -> transform -> (report)."""

from airflow.sdk import Asset

VALIDATED_FEEDBACK = Asset(name="cfm_validated_feedback", uri="cfm://warehouse/raw/feedback")
ENRICHED_FEEDBACK = Asset(name="cfm_enriched_feedback", uri="cfm://warehouse/ml/feedback_enrichment")
FEEDBACK_MARTS = Asset(name="cfm_feedback_marts", uri="cfm://warehouse/marts")
