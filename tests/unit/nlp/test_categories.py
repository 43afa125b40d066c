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
