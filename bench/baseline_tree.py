"""Another git revision's plugins, for benches that time the old code path against the new in one run."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def export_plugins(ref: str, target: Path) -> Path:
    """The `plugins` folder of git revision `ref`, extracted under `target`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "plugins"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "plugins"
