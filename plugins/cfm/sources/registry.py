"""Which sources exist, and how to build the enabled ones from config.

`SOURCES` is the one list of sources. The dbt vars (`feedback_sources`, `answer_sources`),
the raw tables in `dbt/models/staging/_sources.yml` and `airflow/pools.json` are generated
from it by `python -m cfm.sources.codegen` (a test fails when they drift). Adding a source:
its module, one `SourceSpec` here, its staging model(s) under dbt/models/staging/<name>/.
Customer-attribute sources (kind "customers": the customer file drop, HubSpot) feed
`dim_customers` instead of the feedback union (dbt var `customer_sources`).

Classes are imported lazily so that listing sources (the ingest DAG does it while
parsing) never imports API client libraries.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cfm.sources.base import FeedbackSource


@dataclass(frozen=True)
class SourceSpec:
    """One source: its name (cfm.yml key, raw table, staging folder) and how it is built and run."""

    name: str
    #: "module:Class" of the FeedbackSource, imported only when the source is built.
    target: str
    #: True when it also has stg_<name>__answers (multi-question surveys).
    answers: bool = False
    #: Concurrent syncs allowed against the API (slots of its Airflow pool).
    pool_slots: int = 1
    #: `dbt source freshness` warns when the newest raw row is older than this, errors at twice it.
    freshness_hours: int = 24
    #: "feedback" (staged as stg_<name>__feedback) or "customers" (customer attributes,
    #: staged as stg_<name>__customers and unioned into int_customers).
    kind: str = "feedback"

    @property
    def pool(self) -> str:
        """The Airflow pool that caps concurrent calls to this source's API."""
        return f"cfm_api_{self.name}"


# Append new sources at the end: the demo's fake API ports follow this order.
SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("file_drop", "cfm.sources.file_drop:FileDropSource", pool_slots=2, freshness_hours=168),
    SourceSpec("gmail", "cfm.sources.gmail:GmailSource", freshness_hours=6),
    SourceSpec("google_forms", "cfm.sources.google_forms:GoogleFormsSource", answers=True),
    SourceSpec("google_play", "cfm.sources.google_play:GooglePlaySource"),
    SourceSpec("google_business", "cfm.sources.google_business:GoogleBusinessSource"),
    SourceSpec("typeform", "cfm.sources.typeform:TypeformSource", answers=True),
    SourceSpec("surveymonkey", "cfm.sources.surveymonkey:SurveyMonkeySource", answers=True),
    SourceSpec("qualtrics", "cfm.sources.qualtrics:QualtricsSource", answers=True),
    SourceSpec("trustpilot", "cfm.sources.trustpilot:TrustpilotSource"),
    SourceSpec("app_store", "cfm.sources.app_store:AppStoreSource"),
    SourceSpec("customer_drop", "cfm.sources.customer_drop:CustomerDropSource", kind="customers", freshness_hours=168),
    SourceSpec("hubspot", "cfm.sources.hubspot:HubSpotSource", kind="customers"),
)

SOURCE_CLASSES: dict[str, str] = {spec.name: spec.target for spec in SOURCES}


def source_names() -> list[str]:
    return list(SOURCE_CLASSES)


def feedback_source_names() -> list[str]:
    return [s.name for s in SOURCES if s.kind == "feedback"]


def customer_source_names() -> list[str]:
    return [s.name for s in SOURCES if s.kind == "customers"]


def source_spec(name: str) -> SourceSpec:
    for spec in SOURCES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown source {name!r}; known sources: {', '.join(SOURCE_CLASSES)}")


def source_class(name: str) -> type[FeedbackSource]:
    module_name, _, attr = source_spec(name).target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def enabled_sources(config: Mapping[str, Any]) -> list[str]:
    """Names of the sources switched on in config, in registry order."""
    sources = config.get("sources") or {}
    unknown = set(sources) - set(SOURCE_CLASSES)
    if unknown:
        raise KeyError(f"cfm.yml names unknown sources: {', '.join(sorted(unknown))}")
    return [n for n in SOURCE_CLASSES if (sources.get(n) or {}).get("enabled", False)]


def build_source(name: str, config: Mapping[str, Any]) -> FeedbackSource:
    return source_class(name)((config.get("sources") or {}).get(name) or {})
