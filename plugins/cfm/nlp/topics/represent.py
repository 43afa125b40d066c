"""Topic representation: a readable label phrase, keywords, representative verbatims.

A label is a short phrase taken from the members' own words ("card has not arrived yet",
"物流很快"), in the display form of the language (Arabic as written, not the normalised
spelling used for matching). Candidates are word n-grams (jieba segments for Chinese) that
neither start nor end with a stopword; a phrase scores by how many members use it, weighed
by how specific it is to the topic (class-based document frequency), with a bonus for length
so "refund not received" beats "refund".

A topic may hold several languages. The label is built from the members written in the
configured label language (`nlp.label_language`, the report's language) when enough of them
use a common phrase; otherwise from the topic's main language, and `label_language` says which.
Keywords stay in the original languages.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cfm.nlp.keywords import _HAN, class_tfidf_keywords, normalise_arabic, tokenize
from cfm.nlp.sentiment_lexicon import NEGATIVE, POSITIVE
from cfm.nlp.stopwords import ARABIC, CHINESE, ENGLISH

_ARABIC_CHARS = re.compile(r"[\u0600-\u06FF]")
_DISPLAY_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|URL_TOKEN)\]")
_ARABIC_MARKS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u0640]")
MAX_PHRASE_WORDS = 4
# Matching drops these as placeholders or filler; in a label they are the subject ("card has not arrived").
_LABEL_WORDS = frozenset({"card", "phone", "email", "iban", "time", "times", "day", "days", "today", "way"})
_EN_STOP = ENGLISH - _LABEL_WORDS


@dataclass
class TopicDescription:
    """What an analyst sees for a topic."""

    label: str
    keywords: list[str]
    representative_texts: list[str]
    label_language: str = "en"
    languages: dict[str, int] = field(default_factory=dict)  # members per script language


def script_language(text: str) -> str:
    """en/ar/zh by script (labels only need the writing system, not a language detector)."""
    if _HAN.search(text or ""):
        return "zh"
    if _ARABIC_CHARS.search(text or ""):
        return "ar"
    return "en"


def _is_stopword(word: str, language: str) -> bool:
    if language == "zh":
        return word in CHINESE or not _HAN.search(word) and word.lower() in _EN_STOP
    if language == "ar":
        return normalise_arabic(word) in ARABIC or len(word) < 2
    return word.lower() in _EN_STOP or len(word) < 2 or word.isdigit()


def _words(text: str, language: str) -> list[str]:
    text = _PLACEHOLDER.sub(" | ", text or "")
    if language == "zh":
        from cfm.nlp.keywords import _jieba

        return [w for w in (t.strip() for t in _jieba().lcut(text)) if w]
    if language == "ar":
        text = _ARABIC_MARKS.sub("", text)  # diacritics and tatweel are decoration; spelling stays
        return _DISPLAY_WORD.findall(text)
    return [w.lower() if w not in {"I", "I'm", "I've", "I'd"} else w for w in _DISPLAY_WORD.findall(text)]


def phrase_candidates(text: str, language: str, max_words: int = MAX_PHRASE_WORDS) -> dict[str, str]:
    """N-grams of `text` that could label a topic: key (for counting) -> display form.

    A candidate has no placeholder or punctuation inside, does not start or end with a
    stopword, and has at least one content word (a lone English word needs 3+ letters).
    The key folds Arabic spelling variants so that they count together; the display form
    keeps the writing.
    """
    words = _words(text, language)
    joiner = "" if language == "zh" else " "
    out: dict[str, str] = {}
    for size in range(1, max_words + 1):
        for start in range(0, len(words) - size + 1):
            gram = words[start : start + size]
            if any(not _DISPLAY_WORD.fullmatch(w) or w == "|" for w in gram):
                continue
            if _is_stopword(gram[0], language) or _is_stopword(gram[-1], language):
                continue
            if size == 1 and (len(gram[0]) < (2 if language == "zh" else 3)):
                continue
            display = joiner.join(gram)
            key = normalise_arabic(display) if language == "ar" else display.lower()
            out.setdefault(key, display)
    return out


def _best_phrase(
    member_texts: Sequence[str], language: str, global_df: Counter, n_docs: int, min_support: int
) -> str | None:
    df: Counter = Counter()
    displays: dict[str, Counter] = {}
    for text in member_texts:
        cands = phrase_candidates(text, language)
        df.update(cands.keys())
        for key, display in cands.items():
            displays.setdefault(key, Counter())[display] += 1
    best: tuple[float, str] | None = None
    for key, count in df.items():
        if count < min_support:
            continue
        display = displays[key].most_common(1)[0][0]
        if _contradictory(_words(display, language), language):
            continue
        words = len(key) / 2 if language == "zh" else key.count(" ") + 1
        specificity = math.log(1 + n_docs / max(global_df.get(key, count), 1))
        # Coverage counts most (a label should describe most members), then specificity, then length.
        coverage = count / len(member_texts)
        score = coverage**1.5 * specificity * (1 + 0.5 * (min(words, MAX_PHRASE_WORDS) - 1))
        if best is None or (score, key) > best:
            best = (score, key)
    if best is None:
        return None
    display, _ = sorted(displays[best[1]].items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return display


def _contradictory(words: Sequence[str], language: str) -> bool:
    folded = {normalise_arabic(w) if language == "ar" else w.lower() for w in words}
    return bool(folded & POSITIVE.get(language, {}).keys() and folded & NEGATIVE.get(language, {}).keys())


def label_problems(label: str, language: str) -> list[str]:
    """Why a label is hard to read: stopword at an edge, words of opposite polarity, normalised spelling."""
    problems = []
    words = _words(label, language)
    if not words:
        return ["empty"]
    if _is_stopword(words[0], language) or _is_stopword(words[-1], language):
        problems.append("starts or ends with a stopword")
    if _contradictory(words, language):
        problems.append("contradictory words")
    if " / " in label:
        problems.append("keyword list, not a phrase")
    return problems


def _has_normalised_spelling(label: str, member_texts: Sequence[str]) -> bool:
    """True when an Arabic label word never occurs as written in the members (it was normalised)."""
    written = {w for t in member_texts for w in _words(t, "ar")}
    return any(w not in written for w in _words(label, "ar"))


def describe_topics(
    texts: Sequence[str],
    labels: np.ndarray,
    vectors: np.ndarray,
    topic_centroids: dict[int, np.ndarray],
    *,
    top_keywords: int = 8,
    n_representatives: int = 2,
    label_language: str = "en",
) -> dict[int, TopicDescription]:
    """Label phrase, keywords (class-based TF-IDF over tokens in any of en/ar/zh) and the verbatims nearest the centroid.

    `texts` must already be redacted: labels and representatives are shown in marts.
    """
    langs = [script_language(t) for t in texts]
    docs: dict[int, list[list[str]]] = {}
    for text, label in zip(texts, labels.tolist(), strict=True):
        if label >= 0:
            docs.setdefault(label, []).append(tokenize(text))
    keywords = class_tfidf_keywords(docs, top_n=top_keywords)
    global_df: dict[str, Counter] = {}
    n_docs: Counter = Counter()
    for text, lang, label in zip(texts, langs, labels.tolist(), strict=True):
        if label >= 0:
            global_df.setdefault(lang, Counter()).update(phrase_candidates(text, lang).keys())
            n_docs[lang] += 1
    out = {}
    for topic_id, centroid in topic_centroids.items():
        members = np.flatnonzero(labels == topic_id)
        sims = vectors[members] @ centroid
        order = members[np.lexsort((members, -sims))]
        reps: list[str] = []
        for idx in order:
            if texts[idx] not in reps:
                reps.append(texts[idx])
            if len(reps) == n_representatives:
                break
        by_lang = Counter(langs[i] for i in members)
        words = [w for w, _ in keywords.get(topic_id, [])]
        label, used = None, label_language
        # The report language first when a fair share of the topic is written in it.
        ordered = [lang for lang, _ in by_lang.most_common()]
        if by_lang[label_language] >= 0.2 * len(members):
            ordered = [label_language] + [lang for lang in ordered if lang != label_language]
        for lang in ordered:
            member_texts = [texts[i] for i in order if langs[i] == lang]
            if not member_texts:
                continue
            support = max(2, math.ceil(0.05 * len(member_texts)))
            label = _best_phrase(member_texts, lang, global_df.get(lang, Counter()), n_docs[lang], support)
            if label:
                used = lang
                break
        if not label and reps:
            # No phrase shared by two members: the most central verbatim, shortened, reads better than a keyword.
            used = script_language(reps[0])
            parts = _words(reps[0], used)[:6]
            label = ("" if used == "zh" else " ").join(parts)
        if not label:
            label, used = "misc", label_language
        out[topic_id] = TopicDescription(label, words, reps, used, dict(sorted(by_lang.items())))
    return out
