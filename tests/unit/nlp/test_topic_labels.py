"""Topic labels a VP can read: a phrase from the members' own words, display spelling, report language first."""

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cfm.nlp.topics.represent import (
    _even_words,
    _has_normalised_spelling,
    _waw_is_clitic,
    _without_waw,
    describe_topics,
    is_multi_word,
    label_problems,
    phrase_candidates,
    unique_against,
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


# Share of labels that are a phrase of 2+ words, not a lone word (bench/results/topic_labels.md:
# 87% and 80% measured; main before this change: 73% and 0%). Arabic: sentiment classes, no floor.
MULTI_WORD_FLOOR = {"clustering/banking77_train_sample.csv": 0.8, "clustering/zh_online_shopping_categories.csv": 0.7}


@pytest.mark.parametrize("name", ["clustering/banking77_train_sample.csv", "clustering/zh_online_shopping_categories.csv",
                                  "sentiment/ar_restaurants.csv", "sentiment/ar_souq_products.csv"])
def test_labels_on_the_dev_sets_are_readable(name):
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"dev set {name} not found: the dev sets are read from ../shared/datasets beside the checkout ({path})")
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
    multi = sum(is_multi_word(d.label.split("，")[0].split(", ")[0], d.label_language) for d in described.values())
    assert multi / len(described) >= MULTI_WORD_FLOOR.get(name, 0.0), {cats[t]: d.label for t, d in described.items()}


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


def test_a_phrase_beats_a_lone_word_the_members_also_use():
    texts = ["my transfer is still pending", "transfer is still pending since monday", "why is my transfer still pending",
             "pending transfer", "transfer is still pending, help", "still pending"]
    label = _describe(texts, [0] * 6)[0].label
    assert label == "transfer is still pending" and is_multi_word(label, "en")


def test_chinese_labels_are_noun_adjective_phrases_not_single_words():
    texts = ["物流很快，质量不错，手机很好用", "手机质量不错，物流很快", "质量不错，屏幕很清晰", "这个手机质量不错",
             "质量不错 物流很快 京东", "手机电池不耐用，质量不错",
             "酒店房间很干净，服务热情", "房间很干净，位置好", "房间很干净 早餐一般", "酒店服务热情，房间很干净"]
    d = _describe(texts, [0] * 6 + [1] * 4)
    assert d[0].label == "质量不错" and d[1].label == "房间很干净"
    assert "物流很快" in phrase_candidates("物流很快，质量不错", "zh")
    assert not any(k.startswith("这个") for k in phrase_candidates("这个手机质量不错", "zh"))  # demonstrative at an edge


def test_label_problems_flag_length_and_arabic_attached_stopwords():
    assert "too long" in label_problems("card " * 11, "en")
    assert "too long" in label_problems("质量不错" * 7, "zh")
    assert "starts or ends with a stopword" in label_problems("ولا", "ar")  # و + لا
    assert label_problems("质量不错", "zh") == []


def test_a_label_another_live_topic_has_gets_the_topics_next_distinctive_phrase():
    texts = ["refund not received for my order", "refund not received, bank transfer", "refund not received after bank transfer",
             "bank transfer refund not received"]
    d = _describe(texts, [0, 0, 0, 0])
    assert d[0].label == "refund not received"
    changed = unique_against(d, {"Refund not received", "app crashes"})
    assert changed == {0: "refund not received"}
    assert d[0].label == "refund not received, bank transfer"
    assert label_problems(d[0].label, "en") == []
    # a label no live topic has is left alone; so is the result on a second pass (stable)
    assert unique_against(d, {"Refund not received", "app crashes"}) == {}
    # no phrase of its own left: numbered, still unique against the live labels
    d2 = _describe(["refund not received"] * 3, [0, 0, 0])
    unique_against(d2, {"refund not received", "refund not received, variant 2"})
    assert d2[0].label == "refund not received, variant 3"


def test_arabic_label_drops_the_conjunction_glued_to_its_first_word():
    # تمزق ("tore") is a known word (taxonomy): "وتمزق" is "and tore", whatever the corpus says.
    texts = [
        "القماش رديء وتمزق بعد غسلة واحدة",
        "جودة القماش سيئة وتمزق بعد غسلة واحدة",
        "للأسف وتمزق بعد غسلة واحدة",
        "التوصيل سريع والمندوب محترم",
        "التوصيل سريع جدا",
        "التوصيل سريع اليوم",
    ]
    d = _describe(texts, [0, 0, 0, 1, 1, 1])
    assert d[0].label == "تمزق بعد غسلة واحدة"
    assert not _has_normalised_spelling(d[0].label, texts[:3])


def test_arabic_conjunction_judged_by_the_corpus_counts():
    # نظيف ("clean") is in no list the package ships: the corpus writes it alone more often than with و.
    texts = [
        "ونظيف المكان كله", "ونظيف المكان كله", "ونظيف المكان كله",
        "المطعم نظيف", "الطاولة نظيف", "الحمام نظيف", "الصحن نظيف",
    ]
    d = _describe(texts, [0, 0, 0, 1, 1, 1, 1])
    assert d[0].label == "نظيف المكان كله"


def test_arabic_words_whose_first_letter_is_waw_keep_it():
    # وقت, وصل, وزن, واحد begin with و as a root letter; قت/صل/زن are no words, and the corpus
    # writes واحد (with clitics before its و: الواحد) more than احد.
    vocab = Counter({"وقت": 5, "الوقت": 4, "وزن": 2, "بالوزن": 1, "واحد": 6, "الواحد": 2, "احد": 5, "وصل": 3, "صل": 1})
    for word in ["وقت", "وصل", "وزن", "واحد", "واحدة"]:
        assert not _waw_is_clitic(word, vocab), word
    assert not _waw_is_clitic("وقت", Counter())  # nothing in the corpus either way: unchanged
    assert _without_waw("وقت التوصيل طويل", vocab) == "وقت التوصيل طويل"
    texts = ["وقت التوصيل طويل جدا", "وقت التوصيل طويل", "وقت التوصيل طويل للأسف", "المنتج ممتاز", "المنتج ممتاز جدا"]
    assert _describe(texts, [0, 0, 0, 1, 1])[0].label == "وقت التوصيل طويل"


def test_a_chinese_word_every_topic_uses_loses_to_a_phrase_of_the_topic():
    # 东西 ("thing") is in every member of all six topics; each topic's own word is in 2 of 20 members.
    own = ["耳机", "屏幕", "电池", "键盘", "鼠标", "音箱"]
    texts, labels = [], []
    for t, word in enumerate(own):
        texts += ["东西。"] * 18 + [f"东西。{word}", f"{word}！东西。"]
        labels += [t] * 20
    d = _describe(texts, labels)
    assert [d[t].label for t in range(6)] == own
    assert all("东西" in d[t].alternatives for t in range(6))


def test_even_words_need_topics_to_spread_over():
    from cfm.nlp.topics.represent import _candidates

    members = [[_candidates(t, "zh")] * 4 for t in ["东西。耳机", "东西。屏幕", "东西。电池", "东西。键盘", "东西。鼠标"]]
    assert _even_words(members) == {"东西"}  # 耳机 is in one topic only
    assert _even_words(members[:4]) == frozenset()  # four topics show nothing
