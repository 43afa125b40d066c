"""analyze_csv on a small CSV (real model)."""

import json
from pathlib import Path

import pandas as pd
import pytest

from cfm.nlp.analyze import MissingTextColumnError, analyze_csv


def test_missing_text_column_names_file_and_column(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,comment\n1,hello\n", encoding="utf-8")
    with pytest.raises(MissingTextColumnError) as exc:
        analyze_csv(src, tmp_path / "out.csv", text_column="text", progress=False)
    assert "in.csv" in str(exc.value) and "'text'" in str(exc.value) and "comment" in str(exc.value)


@pytest.mark.slow
def test_small_csv_gets_analysis_columns(tmp_path):
    texts = (
        [f"the parcel arrived late again, order {i}" for i in range(6)]
        + [f"the app crashes when I pay, attempt {i}" for i in range(6)]
        + ["التوصيل متأخر جدا", "快递太慢了", "great service, thank you!", "call me on +44 20 7946 0958"]
    )
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(texts)), "body": texts}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    summary = analyze_csv(src, out, text_column="body", config={"min_topic_size": 3}, progress=False)
    result = pd.read_csv(out)
    assert list(result.columns) == [
        "id",
        "body",
        "language",
        "sentiment",
        "sentiment_score",
        "category",
        "feedback_type",
        "topic_id",
        "topic_label",
    ]
    assert summary["rows"] == len(texts) == len(result)
    assert result["language"].tolist()[12:14] == ["ar", "zh"]
    assert result.loc[0, "category"] == "delivery" and result.loc[6, "category"] == "app_stability"
    assert result.loc[14, "sentiment"] == "positive"
    assert result["sentiment_score"].between(-1, 1).all()
    late, crash = result.loc[:5, "topic_id"], result.loc[6:11, "topic_id"]
    assert late.nunique() == 1 and crash.nunique() == 1 and late.iloc[0] != crash.iloc[0]
    assert summary["topics"] >= 2
    # the run can be reproduced: config, model provenance, package versions and how topics were chosen
    manifest = json.loads(Path(summary["manifest"]).read_text(encoding="utf-8"))
    assert summary["manifest"] == f"{out}.manifest.json"
    assert manifest["embedding"]["embedding_model"] == summary["embedding_model"]
    assert manifest["config"]["min_topic_size"] == 3 and len(manifest["config_hash"]) == 16
    assert manifest["packages"]["cfm"] and manifest["topic_selection"]["method"] == "leiden"
