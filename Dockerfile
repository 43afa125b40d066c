# The Airflow image for docker-compose.yml: the official image plus this project's pinned stack.
FROM apache/airflow:3.3.2-python3.11

USER airflow
COPY --chown=airflow:root requirements.lock pyproject.toml README.md /opt/cfm/
COPY --chown=airflow:root plugins /opt/cfm/plugins
# torch: requirements.lock pins the CPU build (torch==2.13.0+cpu), served by PyTorch's CPU index.
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -r /opt/cfm/requirements.lock \
 && pip install --no-cache-dir --no-deps -e /opt/cfm
# Baked in for KubernetesExecutor pods (deploy/helm); docker-compose.yml mounts the same paths over them.
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root dbt /opt/cfm/dbt
COPY --chown=airflow:root expectations /opt/cfm/expectations
COPY --chown=airflow:root cfm.yml /opt/cfm/cfm.yml
COPY --chown=airflow:root airflow/pools.json /opt/cfm/airflow/pools.json
