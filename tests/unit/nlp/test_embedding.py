"""Embedding cache behaviour with a fake backend (no model)."""

import numpy as np

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
