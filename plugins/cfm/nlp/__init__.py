"""Feedback intelligence: language, embeddings, sentiment, categories and topics.

One stage per module; heavy libraries (torch, sentence-transformers, scikit-learn) are
imported inside functions so that importing this package from a DAG file stays cheap.

    redaction (cfm.privacy) -> language -> embedding -> sentiment -> categories -> topics
    enrich.enrich_feedback   warehouse entry point (writes ml.*)
    analyze.analyze_csv      ad-hoc CSV analysis without a warehouse
"""
