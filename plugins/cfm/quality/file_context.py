"""Write the committed Great Expectations file context under `expectations/`.

Suites, the pandas data source, the validation definition and the checkpoint are
committed; `uncommitted/` (results, data docs) is git-ignored. Run `cfm quality init`
after changing `feedback_suite.py`.
"""

from __future__ import annotations

from pathlib import Path

from cfm.quality.feedback_suite import build_suite
from cfm.quality.validation import (
    CHECKPOINT_NAME,
    EXPECTATIONS_DIR,
    INDEX_COLUMN,
    VALIDATION_NAME,
    get_context,
)

DATA_SOURCE = "staged_feedback"
ASSET = "staged_feedback_batch"


def write_file_context(root: Path = EXPECTATIONS_DIR) -> Path:
    import great_expectations as gx

    context = get_context(root)
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    context.variables.save()
    suite = context.suites.add_or_update(build_suite())
    source = context.data_sources.add_or_update_pandas(DATA_SOURCE)
    asset = next((a for a in source.assets if a.name == ASSET), None) or source.add_dataframe_asset(ASSET)
    batch = next((b for b in asset.batch_definitions if b.name == "whole_batch"), None) or \
        asset.add_batch_definition_whole_dataframe("whole_batch")
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=VALIDATION_NAME, data=batch, suite=suite)
    )
    context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=CHECKPOINT_NAME,
            validation_definitions=[validation],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [INDEX_COLUMN]},
        )
    )
    return root
