"""Embedding-based topics, one module per stage (after BERTopic's layout, with stable ids).

reduce     optional dimensionality reduction before clustering (PCA)
cluster    clustering of unit vectors, outlier handling, centroids
represent  keywords (class-based TF-IDF), short labels, representative verbatims
model      `fit_topics`: the stages put together, in memory, deterministic
planning   pure topic lifecycle: matching a new fit to registered topics, merges, splits, hysteresis
store      topic identity in ml.topics (all topic SQL): first fit, incremental assignment, `recluster`
"""
