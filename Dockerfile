# The Airflow image for docker-compose.yml: the official image plus this project's pinned stack.
FROM apache/airflow:3.3.2-python3.11

USER airflow
COPY --chown=airflow:root requirements.txt pyproject.toml README.md /opt/cfm/
COPY --chown=airflow:root plugins /opt/cfm/plugins
# torch: the CPU build (pip install torch==2.13.0 from PyTorch's CPU index in a networked build).
RUN pip install --no-cache-dir -r /opt/cfm/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/cfm
