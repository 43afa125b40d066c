"""Tokenisation and keyword scoring for feedback text in English, Arabic and Chinese.

Used by topic representation (keywords -> labels) and by the rule parts of sentiment and
categories. Chinese is segmented with jieba; Arabic is normalised (alef forms, alef maqsura,
taa marbuta, diacritics, tatweel) so that spelling variants count as one word.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from cfm.nlp.stopwords import ARABIC, CHINESE, ENGLISH

_ARABIC_DIACRITICS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]")
_TATWEEL = "\u0640"
_ALEF_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|URL_TOKEN)\]")
_HAN = re.compile(r"[\u4E00-\u9FFF\u3400-\u4DBF]")
_ARABIC_WORD = re.compile(r"[\u0621-\u064A\u0660-\u0669\u066E-\u06D3]+")
_LATIN_WORD = re.compile(r"[a-z\u00C0-\u024F][a-z\u00C0-\u024F'-]*[a-z\u00C0-\u024F]|[a-z]")


def normalise_arabic(text: str) -> str:
    """Remove diacritics and tatweel, unify alef/yaa/taa marbuta/hamza carriers."""
    text = _ARABIC_DIACRITICS.sub("", text).replace(_TATWEEL, "")
    return text.translate(_ALEF_FORMS)


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=65536)
def segment(text: str) -> tuple[str, ...]:
    """jieba's words of `text`, memoised: topic keywords and label phrases segment the same texts."""
    return tuple(_jieba().lcut(text))


_AR_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")


def _arabic_stem(word: str) -> str:
    # Light stemming: strip the definite article and its clitics so "التوصيل" and "بالتوصيل"
    # count as one keyword; keep at least three letters.
    if word.startswith("و") and len(word) >= 5 and word[1:] not in {"ال"}:
        word = word[1:]  # conjunction "wa-" glued to the next word
    for p in _AR_PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 3:
            return word[len(p) :]
    return word


def tokenize(text: str, language: str | None = None) -> list[str]:
    """Content tokens of `text` (lower-cased, normalised, stopwords and placeholders removed).

    Mixed-language text is handled by script: Han runs go through jieba, Arabic words are
    normalised and lightly stemmed, Latin words lower-cased.
    """
    text = _PLACEHOLDER.sub(" ", text or "")
    tokens: list[str] = []
    if _HAN.search(text):
        for tok in segment(text):
            tok = tok.strip().lower()
            if not tok or tok in CHINESE:
                continue
            if _HAN.search(tok):
                if len(tok) >= 2 or tok in {"慢", "贵", "差", "坏", "退"}:
                    tokens.append(tok)
            else:
                tokens.extend(_latin_tokens(tok))
        rest = ""
    else:
        rest = text
    if rest:
        lowered = rest.lower()
        for w in _ARABIC_WORD.findall(normalise_arabic(lowered)):
            if w not in ARABIC and len(w) >= 2:
                stem = _arabic_stem(w)
                if stem not in ARABIC:
                    tokens.append(stem)
        tokens.extend(_latin_tokens(lowered))
    return tokens


def _latin_tokens(text: str) -> list[str]:
    out = []
    for w in _LATIN_WORD.findall(text):
        w = w.strip("'-")
        if len(w) >= 3 and w not in ENGLISH and not w.isdigit():
            out.append(w)
    return out


def class_tfidf_keywords(
    docs_by_class: dict[int, Sequence[list[str]]], top_n: int = 8
) -> dict[int, list[tuple[str, float]]]:
    """Class-based TF-IDF (as in BERTopic's c-TF-IDF): words frequent in one topic, rare in others.

    `docs_by_class` maps a topic id to its tokenised documents. Returns the top words per topic
    with their scores; ties are broken alphabetically so the output is deterministic.
    """
    class_tf = {cid: Counter(tok for doc in docs for tok in doc) for cid, docs in docs_by_class.items()}
    total_words = sum(sum(c.values()) for c in class_tf.values()) or 1
    n_classes = max(len(class_tf), 1)
    avg_words = total_words / n_classes
    df = Counter()
    for counts in class_tf.values():
        df.update(counts)
    out: dict[int, list[tuple[str, float]]] = {}
    for cid, counts in class_tf.items():
        size = sum(counts.values()) or 1
        n_docs = len(docs_by_class[cid]) or 1
        doc_freq = Counter(tok for doc in docs_by_class[cid] for tok in set(doc))
        scored = []
        for word, tf in counts.items():
            if doc_freq[word] < 2 and n_docs >= 4:
                continue  # a word from a single verbatim is not a topic keyword
            idf = math.log(1 + avg_words / df[word])
            scored.append((word, (tf / size) * idf))
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        out[cid] = scored[:top_n]
    return out
