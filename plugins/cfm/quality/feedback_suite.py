"""The `feedback_record` expectation suite: what every staged feedback record must satisfy.

The suite is defined here and saved into the committed file context under
`expectations/` (`cfm quality init` rewrites it; a test checks the two agree). Each
expectation's `meta` names the field it guards and a reason template filled from the
failing row, so quarantine messages name the source, the record and the field.
"""

from __future__ import annotations

from typing import Any

import great_expectations as gx

from cfm.sources.base import CHANNELS, RATING_TYPES

SUITE_NAME = "feedback_record"
# The columns the expectations read (validation hands Great Expectations only these, plus the index column).
SUITE_COLUMNS = ("source_record_id", "submitted_at", "channel", "rating_type", "rating_value", "rating_value_raw",
                 "rating_scale_min", "rating_scale_max", "text_raw")


def _meta(check: str, field: str, reason: str) -> dict[str, Any]:
    return {"check": check, "field": field, "reason": reason}


def build_suite() -> gx.ExpectationSuite:
    e = gx.expectations
    expectations = [
        e.ExpectColumnValuesToNotBeNull(
            column="source_record_id", meta=_meta("record_id_present", "id", "required field 'id' is missing")
        ),
        e.ExpectColumnValuesToNotBeNull(
            column="submitted_at",
            meta=_meta("submitted_at_parseable", "submitted_at",
                       "submitted_at {submitted_at_raw!r} is missing or not an ISO 8601 timestamp"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="channel", value_set=list(CHANNELS),
            meta=_meta("channel_known", "channel", "channel {channel!r} is not one of " + ", ".join(CHANNELS)),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="rating_type", value_set=list(RATING_TYPES),
            meta=_meta("rating_type_known", "rating_type",
                       "rating_type {rating_type!r} is not one of " + ", ".join(RATING_TYPES)),
        ),
        e.ExpectColumnValuesToNotBeNull(
            column="rating_value", row_condition="rating_value_raw.notnull()", condition_parser="pandas",
            meta=_meta("rating_value_numeric", "rating_value", "rating_value {rating_value_raw!r} is not a number"),
        ),
        e.ExpectColumnValuesToNotBeNull(
            column="rating_value", row_condition="rating_type.notnull()", condition_parser="pandas",
            meta=_meta("rating_value_present", "rating_value", "rating_type {rating_type!r} is given but rating_value is empty"),
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="rating_value", column_B="rating_scale_min", or_equal=True, ignore_row_if="either_value_is_missing",
            meta=_meta("rating_in_scale", "rating_value",
                       "rating_value {rating_value_raw} is below the {rating_type} scale minimum {rating_scale_min}"),
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="rating_scale_max", column_B="rating_value", or_equal=True, ignore_row_if="either_value_is_missing",
            meta=_meta("rating_in_scale", "rating_value",
                       "rating_value {rating_value_raw} is above the {rating_type} scale maximum {rating_scale_max}"),
        ),
        e.ExpectColumnValuesToBeBetween(
            column="rating_scale_max", min_value=10, max_value=10,
            row_condition='rating_type == "nps"', condition_parser="pandas",
            meta=_meta("nps_scale", "rating_scale_max", "an NPS question must use the 0-10 scale, got max {rating_scale_max}"),
        ),
        e.ExpectColumnValuesToNotBeNull(
            column="text_raw", row_condition="rating_type.isnull()", condition_parser="pandas",
            meta=_meta("has_content", "text", "the record has neither text nor a rating"),
        ),
    ]
    suite = gx.ExpectationSuite(name=SUITE_NAME, meta={"description": "Every staged feedback record (docs/staging-contract.md)."})
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite
