"""Project configuration: `cfm.yml` plus environment overrides.

Environment variables win over the file so that secrets and per-machine values never
have to be committed: CFM_WAREHOUSE_URL, CFM_DROP_DIR, CFM_CONFIG, CFM_PSEUDONYM_KEY.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DEFAULTS: dict[str, Any] = {
    "timezone": "UTC",
    "warehouse": {"url": None, "embedded_dir": ".cfm", "embedded_port": 54329},
    "sources": {"file_drop": {"enabled": True, "dir": "sample_data/drop"}},
    "nlp": {"embedding_model": "use-multilingual-v3"},
    "report": {"out_dir": "out", "title": "Customer feedback: leadership report", "min_responses": 30,
               "small_cells": "flag",
               "recipients": [], "period": "complete", "timezone": None, "language": "en",
               "schedule": "0 7 * * 1", "max_mart_age_hours": 26},
    "alerts": {"slack_webhook_env": "CFM_SLACK_WEBHOOK_URL", "email": [], "cooldown_hours": 24},
    "privacy": {"phone_region": None, "retention": {"raw_days": 365, "quarantine_days": 180}},
}


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def config_path() -> Path:
    return Path(os.environ.get("CFM_CONFIG") or PROJECT_ROOT / "cfm.yml")


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """Load the project config, apply defaults and environment overrides."""
    path = Path(path) if path else config_path()
    data: dict[str, Any] = {}
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping at the top level")
    cfg = _deep_merge(DEFAULTS, data)
    if os.environ.get("CFM_WAREHOUSE_URL"):
        cfg["warehouse"]["url"] = os.environ["CFM_WAREHOUSE_URL"]
    if os.environ.get("CFM_DROP_DIR"):
        cfg["sources"].setdefault("file_drop", {})["dir"] = os.environ["CFM_DROP_DIR"]
    return cfg


def project_path(value: str | Path) -> Path:
    """Resolve a config path relative to the project root."""
    p = Path(value)
    return p if p.is_absolute() else PROJECT_ROOT / p


def in_airflow_task() -> bool:
    """True when Airflow's SDK is loaded (every DAG file imports it), so Connections can be read.

    Outside Airflow, importing airflow.sdk just to find no connection costs seconds.
    """
    import sys

    return "airflow.sdk" in sys.modules


class RetentionConfig(BaseModel):
    """How long raw payloads and quarantine rows are kept (`privacy.retention` in cfm.yml)."""

    model_config = ConfigDict(extra="forbid")
    raw_days: int = Field(365, ge=1)
    quarantine_days: int = Field(180, ge=1)


class PrivacyConfig(BaseModel):
    """`privacy` in cfm.yml: retention windows, and the region for phone numbers written without +country."""

    model_config = ConfigDict(extra="forbid")
    phone_region: str | None = Field(None, min_length=2, max_length=2)
    retention: RetentionConfig = RetentionConfig()


def privacy_config(cfg: Mapping[str, Any]) -> PrivacyConfig:
    """The validated `privacy` section; a bad value raises pydantic's ValidationError naming the field."""
    return PrivacyConfig.model_validate(cfg.get("privacy") or {})


def _cores() -> int:
    return os.cpu_count() or 1


class EnrichConfig(BaseModel):
    """`enrich` in cfm.yml: how the enrichment backlog is split and how many processes enrich it."""

    model_config = ConfigDict(extra="forbid")
    chunk_size: int = Field(10_000, ge=1)  # records enriched (and held in memory) at a time
    records_per_task: int = Field(50_000, ge=1)  # backlog share of one key range (mapped task or worker job)
    max_tasks: int = Field(8, ge=1)  # mapped Airflow tasks at most
    # Processes enriching key ranges at once outside Airflow (`cfm run`, benches), one BLAS thread each:
    # one thread encodes about as fast as two, so a process per core uses the cores the rest of enrichment leaves idle.
    workers: int = Field(default_factory=_cores, ge=1)
    # A smaller backlog is enriched in the calling process: starting a worker loads the models again (seconds).
    min_records_per_worker: int = Field(2_000, ge=1)


def enrich_config(cfg: Mapping[str, Any]) -> EnrichConfig:
    """The validated `enrich` section; a bad value raises pydantic's ValidationError naming the field."""
    return EnrichConfig.model_validate(cfg.get("enrich") or {})
