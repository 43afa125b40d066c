"""Which sources exist, and how to build the enabled ones from config.

Classes are imported lazily so that listing sources (the ingest DAG does it while
parsing) never imports API client libraries.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from cfm.sources.base import FeedbackSource

SOURCE_CLASSES: dict[str, str] = {
    "file_drop": "cfm.sources.file_drop:FileDropSource",
    "gmail": "cfm.sources.gmail:GmailSource",
    "google_forms": "cfm.sources.google_forms:GoogleFormsSource",
    "google_play": "cfm.sources.google_play:GooglePlaySource",
    "google_business": "cfm.sources.google_business:GoogleBusinessSource",
    "typeform": "cfm.sources.typeform:TypeformSource",
    "surveymonkey": "cfm.sources.surveymonkey:SurveyMonkeySource",
    "qualtrics": "cfm.sources.qualtrics:QualtricsSource",
    "trustpilot": "cfm.sources.trustpilot:TrustpilotSource",
    "app_store": "cfm.sources.app_store:AppStoreSource",
}


def source_names() -> list[str]:
    return list(SOURCE_CLASSES)


def source_class(name: str) -> type[FeedbackSource]:
    try:
        target = SOURCE_CLASSES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known sources: {', '.join(SOURCE_CLASSES)}") from None
    module_name, _, attr = target.partition(":")
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
