"""Entry points must import cheaply: Airflow's DAG processor imports DAG files often."""

import subprocess
import sys


def test_entry_points_do_not_import_heavy_libraries():
    code = (
        "import sys; import cfm.nlp, cfm.nlp.warehouse_enrichment, cfm.nlp.analyze, cfm.nlp.ml_schema, cfm.nlp.embedding_cache, cfm.nlp.topics.store; "
        "heavy = [m for m in ('torch', 'sentence_transformers', 'sklearn', 'jieba', 'lingua', 'pandas') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
