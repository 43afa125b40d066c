"""Categories from the taxonomy, departments, feedback type."""

import pytest

from cfm.nlp.categories import CategoryClassifier, feedback_type, load_taxonomy


@pytest.fixture(scope="module")
def classifier():
    return CategoryClassifier(load_taxonomy())


@pytest.mark.parametrize(
    "text, category, department",
    [
        ("my parcel arrived two weeks late", "delivery", "Logistics"),
        ("I was charged twice, where is my refund", "billing_refunds", "Finance"),
        ("the app crashes every time I open it", "app_stability", "Engineering"),
        ("I cannot log in, the verification code never comes", "account_access", "Engineering"),
        ("customer service was rude and hung up", "support_quality", "Customer Support"),
        ("prices are too expensive", "pricing", "Commercial"),
        ("the fabric quality is poor", "product_quality", "Product"),
        ("الشحنة لم تصل والمندوب لا يرد", "delivery", "Logistics"),
        ("تم خصم المبلغ مرتين", "billing_refunds", "Finance"),
        ("每次打开应用就闪退", "app_stability", "Engineering"),
        ("退款一直没到账", "billing_refunds", "Finance"),
        ("lovely weather today", "other", "Customer Support"),
    ],
)
def test_primary_category_and_department(classifier, text, category, department):
    result = classifier.classify([text])[0]
    assert result.category == category
    assert result.department == department


def test_multiple_categories_primary_first(classifier):
    result = classifier.classify(["the app crashed during payment and I was charged twice for the refund"])[0]
    assert result.categories[0] == "billing_refunds"
    assert "app_stability" in result.categories


def test_taxonomy_path_is_configurable(tmp_path):
    path = tmp_path / "tax.yml"
    path.write_text(
        "version: 7\nfallback: misc\ncategories:\n"
        "  parking:\n    department: Facilities\n    keywords: {en: [parking]}\n"
        "  misc:\n    department: Ops\n",
        encoding="utf-8",
    )
    tax = load_taxonomy(path)
    clf = CategoryClassifier(tax)
    assert [c.category for c in clf.classify(["no parking spaces", "hello"])] == ["parking", "misc"]
    assert tax.name.endswith("taxonomy-v7")


def test_missing_taxonomy_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yml"):
        load_taxonomy(tmp_path / "nope.yml")


@pytest.mark.parametrize(
    "text, sentiment, expected",
    [
        ("please add a dark mode", "neutral", "suggestion"),
        ("أتمنى إضافة الوضع الليلي", "neutral", "suggestion"),
        ("希望增加夜间模式", "positive", "suggestion"),
        ("why is my refund still not here?", "negative", "complaint"),
        ("the parcel was damaged", "negative", "complaint"),
        ("do you ship to Dubai?", "neutral", "question"),
        ("هل توصلون إلى دبي؟", "neutral", "question"),
        ("你们送货到迪拜吗？", "neutral", "question"),
        ("great service, thanks", "positive", "praise"),
        ("I ordered on Monday", "neutral", "other"),
    ],
)
def test_feedback_type(text, sentiment, expected):
    assert feedback_type(text, sentiment) == expected


def _classify_text_by_text(clf, texts, vectors):
    """Categories as the code before dedup computed them: each text on its own, one dot product per category."""
    from cfm.nlp.categories import Categorisation
    from cfm.nlp.keywords import normalise_arabic

    names = [n for n in clf.taxonomy.categories if n != clf.taxonomy.fallback]
    out = []
    for i, text in enumerate(texts):
        norm = normalise_arabic((text or "").lower())
        scores = {}
        for name in names:
            pattern = clf.taxonomy.pattern(name)
            score = min(len(pattern.findall(norm)) if pattern else 0, 3) * 1.0
            if name in clf.example_centroids:
                score += max(0.0, float(vectors[i] @ clf.example_centroids[name]) - 0.3) * 3.0
            scores[name] = score
        best = max(scores.values(), default=0.0)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], names.index(kv[0])))
        cats = [clf.taxonomy.fallback] if best < 0.5 else [n for n, s in ranked if s >= max(0.5, best / 2)][:3]
        out.append(Categorisation(cats, clf.taxonomy.department(cats[0])))
    return out


@pytest.fixture(scope="module")
def semantic_classifier():
    import numpy as np

    rng = np.random.default_rng(3)
    # Example vectors near a few axes, so that texts near them score semantically too.
    return CategoryClassifier(load_taxonomy(), lambda xs: rng.standard_normal((len(xs), 16)).astype(np.float32))


def test_classify_with_vectors_matches_text_by_text_scoring(semantic_classifier):
    import numpy as np

    texts = ["my parcel arrived two weeks late", "退款一直没到账", "lovely weather today", "the app crashed",
             "I was charged twice", "الشحنة لم تصل", "", "prices"] * 3
    rng = np.random.default_rng(5)
    names = list(semantic_classifier.example_centroids)
    vectors = np.array([semantic_classifier.example_centroids[names[k % len(names)]] * rng.uniform(0.2, 1.2)
                        + rng.normal(0, 0.1, 16) for k in range(len(texts))], dtype=np.float32)
    got = semantic_classifier.classify(texts, vectors)
    assert got == _classify_text_by_text(semantic_classifier, texts, vectors)
    assert {c.category for c in got} - {"other"}  # some texts were categorised


def test_keywords_are_matched_once_per_distinct_text_across_batches(monkeypatch):
    import numpy as np

    calls: list[str] = []
    real = CategoryClassifier._score_keywords
    monkeypatch.setattr(CategoryClassifier, "_score_keywords", lambda self, t: calls.append(t) or real(self, t))
    clf = CategoryClassifier(load_taxonomy(), lambda xs: np.eye(len(xs), 16, dtype=np.float32))
    texts = ["hello there", "refund please", "hello there", "hello there"]
    vectors = np.zeros((4, 16), np.float32)
    vectors[0] = vectors[2] = clf.example_centroids["delivery"]  # the fourth: same text, no semantic match
    got = clf.classify(texts, vectors)
    assert calls == ["hello there", "refund please"]
    assert [c.category for c in got] == ["delivery", "billing_refunds", "delivery", "other"]
    assert got[0] == got[2] and got[0] is not got[2]  # duplicates get equal results, not one shared object
    assert clf.classify(texts[:2], vectors[:2]) == got[:2] and len(calls) == 2  # the next batch: from the cache


def _one_guard_per_keyword(words):
    import re

    return re.compile("|".join(rf"(?<![a-z]){re.escape(w)}(?![a-z])" if re.fullmatch(r"[a-z0-9 ']+", w) else re.escape(w)
                               for w in sorted(set(words), key=len, reverse=True)))


@pytest.mark.parametrize("words", [
    ["late", "chocolate", "wrong item", "item", "退款", "到账", "مندوب", "box"],
    ["wi-fi", "wi", "fi", "late"],  # a keyword that starts like a Latin one: guards per keyword
])
def test_keyword_patterns_find_what_one_guard_per_keyword_finds(words):
    from cfm.nlp.categories import _keyword_pattern

    texts = ["chocolate late", "slate box", "wrong items, wrong item!", "退款late到账", "المندوب box-late",
             "wi-fi wifi wi fi", "itemitem item's", ""]
    pattern, reference = _keyword_pattern(words), _one_guard_per_keyword(words)
    assert [pattern.findall(t) for t in texts] == [reference.findall(t) for t in texts]
    assert pattern.findall("chocolate late slate box") == [w for w in ("chocolate", "late", "box") if w in words]


def test_the_taxonomy_keywords_get_one_guard_around_all_latin_ones():
    tax = load_taxonomy()
    assert all(tax.pattern(n).pattern.startswith("(?<![a-z])(?:") for n in tax.categories if tax.pattern(n))
