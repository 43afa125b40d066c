"""The enrichment step list drives the ml.feedback_enrichment columns, their upsert and what reaches the marts."""

from __future__ import annotations

from cfm.nlp import steps
from cfm.nlp.ml_schema import MARTS_COMMENT, feedback_enrichment_ddl
from cfm.nlp.steps import STEPS, Column, Step, enrichment_columns
from cfm.nlp.warehouse_enrichment import _temp_table, _upsert_sql


def test_column_names_are_unique_and_the_mart_columns_are_the_known_ones() -> None:
    names = [c.name for c in enrichment_columns()]
    assert len(names) == len(set(names))
    assert [c.name for c in enrichment_columns() if c.in_marts] == [
        "sentiment_label", "sentiment_score", "category", "categories", "department", "feedback_type"]


def test_a_new_step_column_is_created_added_commented_and_written(monkeypatch) -> None:
    toy = Step("toy", (Column("toy_score", "real", in_marts=True),), lambda s: s.columns.update(toy_score=[1.0]))
    monkeypatch.setattr(steps, "STEPS", (*STEPS, toy))
    ddl = feedback_enrichment_ddl()
    assert "    toy_score real NOT NULL," in ddl
    assert "ADD COLUMN IF NOT EXISTS toy_score real;" in ddl
    assert f"COMMENT ON COLUMN ml.feedback_enrichment.toy_score IS '{MARTS_COMMENT}';" in ddl
    assert "COMMENT ON COLUMN ml.feedback_enrichment.text_hash IS NULL;" in ddl
    upsert = _upsert_sql()
    assert "toy_score = excluded.toy_score" in upsert and "f.toy_score" in upsert
    assert f"toy_score, submitted_at, run_id FROM {_temp_table()} ORDER BY feedback_id" in upsert


def test_the_redacted_text_is_compared_through_its_hash() -> None:
    where = _upsert_sql().split("WHERE", 1)[1]
    assert "f.text_hash" in where and "text_redacted" not in where
