"""What keeps enrichment's work beside the embedding small: thread limits, per-process caches, timers."""

import os

import numpy as np

from cfm.nlp import categories, language
from cfm.nlp.categories import categorise, load_taxonomy
from cfm.nlp.embedding import LayeredEmbeddingCache, MemoryEmbeddingCache, create_backend
from cfm.nlp.threads import limited_threads, thread_count


def test_thread_count_defaults_to_one_and_zero_means_every_core():
    from cfm.nlp.settings import nlp_config

    assert thread_count(nlp_config({})) == 1
    assert thread_count({"threads": 3}) == 3
    assert thread_count({"threads": 0}) == (os.cpu_count() or 1)


def test_limited_threads_limits_blas_inside_the_block():
    from threadpoolctl import threadpool_info

    with limited_threads({"threads": 1}):
        pools = [p for p in threadpool_info() if p["user_api"] in ("blas", "openmp")]
        assert pools and all(p["num_threads"] == 1 for p in pools)


def test_use_backend_gets_the_configured_threads():
    backend = create_backend("use-multilingual-v3", threads=1)
    assert backend.model.threads == 1


class CountingEmbed:
    def __init__(self):
        self.calls = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        rng = np.random.default_rng(len(texts))
        v = rng.normal(size=(len(texts), 8)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_taxonomy_examples_are_embedded_once_per_process_and_model(monkeypatch):
    monkeypatch.setattr(categories, "_CLASSIFIERS", {})
    embed = CountingEmbed()
    vectors = np.eye(8, dtype=np.float32)[:2]
    categorise(["late parcel", "charged twice"], vectors, embed=embed, embedding_model="m")
    categorise(["app crashes", "rude agent"], vectors, embed=embed, embedding_model="m")
    assert len(embed.calls) == 1  # every category's examples in one call, once
    taxonomy = load_taxonomy()
    assert len(embed.calls[0]) == sum(len(es) for c in taxonomy.categories.values() for es in c.examples.values())
    categorise(["late parcel"], vectors[:1], embed=embed, embedding_model="other")
    assert len(embed.calls) == 2  # another model's vectors: its own centroids


def test_one_embed_call_gives_the_same_centroids_as_one_per_category():
    taxonomy = load_taxonomy()

    def embed(texts):  # a deterministic vector per text, whatever the batch
        out = np.array([[hash(t) % 97, len(t), t.count("a") + 1, 1.0] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    together = categories.CategoryClassifier(taxonomy, embed).example_centroids
    for name, cat in taxonomy.categories.items():
        examples = [e for es in cat.examples.values() for e in es]
        if examples:
            mean = embed(examples).mean(axis=0)
            assert np.allclose(together[name], mean / np.linalg.norm(mean), atol=1e-6)


def test_layered_cache_reads_memory_first_and_writes_both():
    first, then = MemoryEmbeddingCache(), MemoryEmbeddingCache()
    first.put_many("m", {"a": np.ones(2, np.float32)})
    then.put_many("m", {"b": np.zeros(2, np.float32)})
    asked = []
    original = then.get_many
    then.get_many = lambda model, hashes: asked.append(list(hashes)) or original(model, hashes)
    cache = LayeredEmbeddingCache(first, then)
    assert set(cache.get_many("m", ["a", "b", "c"])) == {"a", "b"}
    assert asked == [["b", "c"]]  # "a" was in memory: never asked of the second cache
    cache.put_many("m", {"c": np.ones(2, np.float32)})
    assert "c" in first.get_many("m", ["c"]) and "c" in then.get_many("m", ["c"])


def test_long_latin_texts_use_lingua_low_accuracy_mode(monkeypatch):
    used = []
    real = language._detector

    def spy(languages, low_accuracy=False):
        used.append(low_accuracy)
        return real(languages, low_accuracy)

    monkeypatch.setattr(language, "_detector", spy)
    assert language.detect_language("the delivery was late") == "en"
    long_text = ("the delivery was late again and nobody from support answered my emails, "
                 "so I had to call twice before the parcel finally arrived at my door")
    assert language.detect_language(long_text) == "en"
    assert language.detect_language("la livraison est arrivée avec trois jours de retard et personne au service "
                                    "client n'a répondu à mes messages malgré plusieurs relances") == "fr"
    assert used == [False, True, True]


def test_every_enrichment_step_is_timed():
    from cfm.nlp.step_timer import STEP_SECONDS
    from cfm.nlp.steps import STEPS, enrich_texts

    before = dict(STEP_SECONDS)
    enrich_texts(["the parcel arrived late", "great service"], config={}, cache=MemoryEmbeddingCache())
    assert all(STEP_SECONDS[s.name] > before.get(s.name, 0.0) for s in STEPS)


def test_igraph_is_imported_without_matplotlib_which_still_imports_afterwards():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from cfm.nlp.topics.cluster import GraphTopics, import_igraph\n"
        "import numpy as np\n"
        "ig = import_igraph()\n"
        "assert 'matplotlib' not in sys.modules and ig.Graph(n=2).vcount() == 2\n"
        "v = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)\n"
        "GraphTopics(n_neighbors=5, min_topic_size=2).fit_predict(v)\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n"
        "plt.figure()\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_load_models_loads_what_the_first_batch_would(monkeypatch):
    """Workers call load_models while starting: lingua's detectors of both accuracy modes, jieba's dictionary
    and the sentiment model are loaded then, not inside the first batch's timed steps."""
    import sys

    from cfm.nlp import keywords, steps
    from cfm.nlp.settings import nlp_config

    modes = []
    real = language._lingua_confidences

    def spy(text, languages, n_words=0):
        modes.append(n_words >= language.LOW_ACCURACY_MIN_WORDS)
        return real(text, languages, n_words)

    monkeypatch.setattr(language, "_lingua_confidences", spy)
    monkeypatch.setattr(steps, "_SENTIMENT_MODELS", {})
    language._detect_cached.cache_clear()
    keywords._jieba.cache_clear()
    steps.load_models(nlp_config({}))
    assert sorted(set(modes)) == [False, True]  # the full and the low-accuracy detector both ran once
    assert keywords._jieba.cache_info().currsize == 1
    assert len(steps._SENTIMENT_MODELS) == 1
    assert "sklearn.linear_model" in sys.modules
