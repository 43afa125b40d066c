"""Topic labels a VP can read: a phrase from the members' own words, display spelling, report language first."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cfm.nlp.topics.represent import (
    _has_normalised_spelling,
    describe_topics,
    label_problems,
    phrase_candidates,
)

DATASETS = Path(__file__).resolve().parents[4] / "shared" / "datasets"


def _describe(texts, labels, **kw):
    labels = np.asarray(labels)
    vectors = np.zeros((len(texts), 2), np.float32)
    cents = {int(t): np.zeros(2, np.float32) for t in set(labels.tolist()) if t >= 0}
    return describe_topics(texts, labels, vectors, cents, **kw)


def test_label_is_a_phrase_from_the_members_not_a_keyword_list():
    texts = [
        "my refund not received after return, it has been weeks",
        "refund not received after return of the shoes",
        "still refund not received after return, please help",
        "the app crashes when I open the basket",
        "app crashes when I open settings",
        "app crashes when I pay",
    ]
    d = _describe(texts, [0, 0, 0, 1, 1, 1])
    assert d[0].label in {"refund not received", "not received after return"}
    # a phrase several members wrote, as they wrote it
    assert " " in d[1].label and sum(d[1].label in t for t in texts[3:]) >= 2
    assert all(" / " not in x.label for x in d.values())
    assert len(d[0].representative_texts) == 2


def test_candidates_skip_stopword_edges_and_placeholders():
    cands = phrase_candidates("the card has not arrived yet [PHONE] call me", "en")
    assert "card has not arrived" in cands
    assert not any(c.startswith("the ") or c.endswith(" the") for c in cands)
    assert not any("phone" in c for c in cands)


def test_arabic_label_keeps_the_written_spelling():
    texts = ["الجودة ممتازة جدا والسعر مناسب", "الجودة ممتازة والتغليف جيد", "الجودة ممتازة حقا"]
    d = _describe(texts, [0, 0, 0], label_language="en")
    label = d[0].label
    assert d[0].label_language == "ar"
    assert "ممتازة" in label and "ممتازه" not in label  # taa marbuta as written, not normalised
    assert not _has_normalised_spelling(label, texts)


def test_report_language_first_when_the_topic_has_members_in_it():
    texts = ["refund not received", "refund not received yet", "لم يصلني المبلغ المسترد", "لم يصلني المبلغ المسترد بعد", "لم يصلني المبلغ المسترد ابدا"]
    assert _describe(texts, [0] * 5, label_language="en")[0].label_language == "en"
    assert _describe(texts, [0] * 5, label_language="ar")[0].label_language == "ar"


def test_label_problems_flag_what_is_hard_to_read():
    assert "keyword list, not a phrase" in label_problems("refund / weeks / smooth", "en")
    assert "contradictory words" in label_problems("good but terrible", "en")
    assert "starts or ends with a stopword" in label_problems("the refund", "en")
    assert label_problems("refund not received", "en") == []


@pytest.mark.parametrize("name", ["clustering/banking77_train_sample.csv", "clustering/zh_online_shopping_categories.csv",
                                  "sentiment/ar_restaurants.csv", "sentiment/ar_souq_products.csv"])
def test_labels_on_the_dev_sets_are_readable(name):
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"dev set {path} not here")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    cats = sorted(set(frame["label"]))
    labels = np.array([cats.index(x) for x in frame["label"]])
    texts = frame["text"].tolist()
    described = _describe(texts, labels)
    assert len({d.label.casefold() for d in described.values()}) == len(described), "labels are unique"
    for topic, d in described.items():
        members = [t for t, lab in zip(texts, labels, strict=True) if lab == topic]
        assert label_problems(d.label, d.label_language) == [], (cats[topic], d.label)
        if d.label_language == "ar":
            assert not _has_normalised_spelling(d.label, members), (cats[topic], d.label)


def test_topics_sharing_a_best_phrase_get_unique_labels_from_their_own_words():
    texts = [
        "fast and stable great", "fast and stable great, battery lasts", "fast and stable great. battery lasts",
        "fast and stable great",
        "fast and stable great", "fast and stable great! dark mode", "fast and stable great, dark mode",
        "fast and stable great",
    ]
    d = _describe(texts, [0, 0, 0, 0, 1, 1, 1, 1])
    assert d[0].label == "fast and stable great, battery lasts"
    assert d[1].label == "fast and stable great, dark mode"
    assert not any("(" in x.label for x in d.values())
    assert all(label_problems(x.label, x.label_language) == [] for x in d.values())
    # the same members give the same labels (topic ids keep their labels across runs)
    assert {t: x.label for t, x in _describe(texts, [0, 0, 0, 0, 1, 1, 1, 1]).items()} == {t: x.label for t, x in d.items()}


def test_labels_stay_unique_when_a_topic_has_no_phrase_of_its_own():
    texts = ["refund not received", "refund not received", "refund not received", "refund not received"] * 2
    d = _describe(texts, [0, 0, 0, 0, 1, 1, 1, 1])
    assert d[0].label != d[1].label


def test_a_phrase_does_not_span_punctuation():
    cands = phrase_candidates("I need money from china. Approximately how long?", "en")
    assert "china" in cands and not any("china approximately" in c for c in cands)
