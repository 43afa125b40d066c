"""Feedback intelligence: language, embeddings, sentiment, categories and topics.

One stage per module; heavy libraries (torch, sentence-transformers, scikit-learn) are
imported inside functions so that importing this package from a DAG file stays cheap.

    redaction -> language -> embedding -> sentiment -> categories -> topics
    steps.enrich_texts                          the text steps, in memory
    warehouse_enrichment.enrich_feedback        warehouse entry point (writes ml.*, DDL in ml_schema)
    analyze.analyze_csv                         ad-hoc CSV analysis without a warehouse
"""
