"""The pipeline's tasks. Airflow DAGs and `cfm run` call the same functions."""
