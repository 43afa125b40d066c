"""The pipeline's stages: one module per stage, listed in order in `cfm.pipeline.stage.STAGES`.

Airflow DAG tasks, `cfm run` (a loop over STAGES) and `cfm demo` call the same stage functions.
Each stage opens its own connection, writes its own ops.run_log entry and returns counts.
"""
