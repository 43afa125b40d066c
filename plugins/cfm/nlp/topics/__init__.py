"""Embedding-based topics, one module per stage (after BERTopic's layout, with stable ids).

reduce     optional dimensionality reduction before clustering (PCA)
cluster    clustering of unit vectors, outlier handling, centroids
represent  keywords (class-based TF-IDF), short labels, representative verbatims
model      `fit_topics`: the stages put together, in memory, deterministic
registry   topic identity in ml.topics: first fit, incremental assignment, `recluster`
"""
