"""Tokenisation and keyword extraction per language."""

from cfm.nlp.keywords import class_tfidf_keywords, normalise_arabic, tokenize


def test_english_stopwords_and_placeholders_removed():
    assert tokenize("The delivery was very late and [EMAIL] answered") == ["delivery", "late", "answered"]


def test_arabic_normalisation():
    assert normalise_arabic("أَهْلاً") == "اهلا"
    assert normalise_arabic("مـــدرسة") == "مدرسه"
    assert normalise_arabic("إلى مستشفى") == "الي مستشفي"


def test_arabic_tokens_are_normalised_stemmed_and_stopword_free():
    tokens = tokenize("التوصيــل تأخّر في هذه المرة وبالتوصيل")
    assert tokens.count("توصيل") == 2
    assert "تاخر" in tokens
    assert "في" not in tokens and "هذه" not in tokens and "هذا" not in tokens


def test_chinese_segmented_with_jieba():
    tokens = tokenize("快递太慢了，包裹到的时候已经坏了")
    assert "快递" in tokens and "包裹" in tokens
    assert "了" not in tokens and "的" not in tokens


def test_class_tfidf_prefers_words_distinctive_for_a_topic():
    docs = {
        0: [["refund", "money"], ["refund", "waiting"], ["refund", "money"], ["refund", "bank"]],
        1: [["app", "crash"], ["app", "crash"], ["app", "freeze"], ["money", "app"]],
    }
    kw = class_tfidf_keywords(docs, top_n=2)
    assert [w for w, _ in kw[0]] == ["refund", "money"]
    assert kw[1][0][0] == "app"
    assert "bank" not in [w for w, _ in class_tfidf_keywords(docs, top_n=5)[0]]  # single-verbatim word
