"""Topic representation: a readable label phrase, keywords, representative verbatims.

A label is a short phrase taken from the members' own words ("card has not arrived yet",
"物流很快"), in the display form of the language (Arabic as written, not the normalised
spelling used for matching). Candidates are word n-grams (jieba segments for Chinese) that
neither start nor end with a stopword nor span punctuation; a phrase scores by how many
members use it times the share of its uses that fall in this topic, with a bonus per word, so
"refund not received" beats both "refund" (every refund topic says it) and a fragment two
members happen to share. A phrase of 2-4 words is preferred to a lone word that scores only a
little higher ("transfer is still pending" over "pending"); for Chinese, noun + adjective phrases
(质量不错, 物流很快, 屏幕很清晰, found with jieba's dictionary tags) count as one word more.
Labels are unique within a run: topics that come out with the same phrase each add their next
most distinctive one ("exchange rate, cash"); and across the live registry: the store hands the
labels of live topics this fit does not relabel to `unique_against` before writing.

A topic may hold several languages. The label is built from the members written in the
configured label language (`nlp.label_language`, the report's language) when enough of them
use a common phrase; otherwise from the topic's main language, and `label_language` says which.
Keywords stay in the original languages.

Two clean-ups judged from the fit's own texts, not word lists: an Arabic label loses a و ("and")
written onto its first word when the rest is a word of its own ("وتمزق بعد غسلة" -> "تمزق بعد
غسلة"; "وقت", "واحد" keep theirs: `_waw_is_clitic`), and a Chinese label that is one word used
evenly across all topics (东西, 不错: `_even_words`) gives way to the topic's next phrase that
says something of its own.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from cfm.nlp.keywords import _HAN, _jieba, class_tfidf_keywords, normalise_arabic, segment, tokenize
from cfm.nlp.sentiment_lexicon import NEGATIVE, NEGATORS, POSITIVE
from cfm.nlp.stopwords import ARABIC, CHINESE, ENGLISH

_ARABIC_CHARS = re.compile(r"[\u0600-\u06FF]")
_DISPLAY_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|URL_TOKEN)\]")
_BREAK = re.compile(r"[|.,;:!?()\[\]{}\"“”«»…\u060C\u061B\u061F\u3001-\u3003\uFF01\uFF0C\uFF1A\uFF1B\uFF1F]+")
_ARABIC_MARKS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u0640]")
MAX_PHRASE_WORDS = 4
# A label is one phrase, or two when it must tell a topic from another ("exchange rate, cash").
MAX_LABEL_WORDS = 10
MAX_LABEL_CHARS = 60
MAX_LABEL_CHARS_ZH = 24
_COVERAGE_EXP = 1.0
_WORD_BONUS = 1.0
_MIN_SUPPORT = 0.1
_MULTI_WORD_RATIO = (0.3, 0.15)  # (other, zh): Chinese phrases are rarer, reviews being long and varied
_ZH_PHRASE_SUPPORT = 0.02
# Matching drops these as placeholders or filler; in a label they are the subject ("card has not arrived").
_LABEL_WORDS = frozenset({"card", "phone", "email", "iban", "time", "times", "day", "days", "today", "way"})
_EN_STOP = ENGLISH - _LABEL_WORDS
_ZH_POLAR = frozenset(POSITIVE["zh"]) | frozenset(NEGATIVE["zh"])
_ZH_NEGATION = frozenset(NEGATORS["zh"])
# A Chinese word whose use is this even over the topics (normalised entropy of its per-topic rate,
# 1 = the same rate everywhere) says nothing of any one topic: 东西 0.92, 不错 0.94, 一个 0.95 over the
# ten shopping categories of the dev set, against 质量 0.72, 手机 0.36, 酒店 0.02.
_EVENNESS = 0.85
_EVEN_MIN_TOPICS = 5  # fewer topics cannot show that a word is spread over them
_SPECIFIC_RATIO = 0.1  # the phrase that replaces an even label scores at least this share of it
_AR_WORD = re.compile(r"[\u0621-\u064A]+")
# Clitics a word takes in front: one written before a word's own و shows the و is part of the word (الوقت, بواحد).
_AR_OUTER = ("ال", "بال", "وال", "فال", "لل", "ب", "ل", "ك", "ف", "و")
_DICT_TAG = re.compile(r"^(\S+) \d+ (n\w*|vn|a\w*|d|zg)\r?$", re.M)  # the tags _zh_roles reads


@dataclass
class TopicDescription:
    """What an analyst sees for a topic."""

    label: str
    keywords: list[str]
    representative_texts: list[str]
    label_language: str = "en"
    languages: dict[str, int] = field(default_factory=dict)  # members per script language
    # The topic's next most distinctive phrases: what sets the label apart from a live topic's same label.
    alternatives: list[str] = field(default_factory=list)


def script_language(text: str) -> str:
    """en/ar/zh by script (labels only need the writing system, not a language detector)."""
    if _HAN.search(text or ""):
        return "zh"
    if _ARABIC_CHARS.search(text or ""):
        return "ar"
    return "en"


def _is_stopword(word: str, language: str) -> bool:
    if language == "zh":
        # 这家/这本/那个 (this/that + measure word) open a phrase as "the" does in English.
        demonstrative = len(word) == 2 and word[0] in "这那"
        return word in CHINESE or demonstrative or not _HAN.search(word) and word.lower() in _EN_STOP
    if language == "ar":
        folded = normalise_arabic(word)
        # و ("and") is written onto the next word: ولا, وهو are stopwords too.
        return folded in ARABIC or folded[:1] == "و" and folded[1:] in ARABIC or len(word) < 2
    return word.lower() in _EN_STOP or len(word) < 2 or word.isdigit()


def _words(text: str, language: str) -> list[str]:
    text = _PLACEHOLDER.sub(" | ", text or "")
    if language == "zh":
        return [w for w in (t.strip() for t in segment(text)) if w]
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
    return {key: c.display for key, c in _candidates(text, language, max_words).items()}


@dataclass(frozen=True)
class _Candidate:
    display: str
    words: int  # words in the phrase (jieba words for Chinese)
    noun_adj: bool = False  # Chinese noun + (adverbs) + adjective: 质量很好, 物流很快, 屏幕不错


@lru_cache(maxsize=1)
def _zh_tags() -> dict[str, str]:
    """Noun, adjective and adverb tags of jieba's dictionary words ("word freq tag" lines): a look-up, no tagger.

    Read from the dictionary file itself (one regex pass); importing jieba.posseg would also load
    its HMM tables, and its tagger costs several times the segmentation.
    """
    with _jieba().get_dict_file() as fh:
        data = fh.read().decode("utf-8")
    return dict(_DICT_TAG.findall(data))


def _zh_roles(words: Sequence[str]) -> list[tuple[bool, bool, bool]]:
    """Per word: can open a noun + adjective phrase (a noun of 2+ characters), can close it, can sit inside it."""
    tags = _zh_tags()
    out = []
    for w in words:
        tag = tags.get(w, "")
        noun = (tag.startswith("n") and tag != "nr" or tag == "vn") and len(w) >= 2
        out.append((noun, tag.startswith("a") or w in _ZH_POLAR, tag in {"d", "zg"} or w in _ZH_NEGATION))
    return out


def _zh_noun_adj(roles: Sequence[tuple[bool, bool, bool]]) -> bool:
    """质量|很|好, 物流|很快, 屏幕|不错: a noun, at most two adverbs or negations, then an adjective."""
    return 2 <= len(roles) <= 4 and roles[0][0] and roles[-1][1] and all(r[2] for r in roles[1:-1])


def _candidates(text: str, language: str, max_words: int = MAX_PHRASE_WORDS) -> dict[str, _Candidate]:
    joiner = "" if language == "zh" else " "
    out: dict[str, _Candidate] = {}
    # A phrase never spans a placeholder or punctuation ("from china. how long" is not one).
    if language == "zh":
        # One segmentation of the whole text (shared with the keywords); spaces, placeholders and
        # punctuation tokens break phrases.
        segments: list[list[str]] = [[]]
        for tok in segment(_PLACEHOLDER.sub(" ", text or "")):
            tok = tok.strip()
            if tok and _DISPLAY_WORD.fullmatch(tok):
                segments[-1].append(tok)
            elif segments[-1]:
                segments.append([])
    else:
        segments = [_words(part, language) for part in _BREAK.split(_PLACEHOLDER.sub(" | ", text or ""))]
    min_single = 2 if language == "zh" else 3
    roles = [_zh_roles(words) for words in segments] if language == "zh" else [[] for _ in segments]
    for size in range(1, max_words + 1):
        for words, role in zip(segments, roles, strict=True):
            stop = [_is_stopword(w, language) for w in words]
            for start in range(0, len(words) - size + 1):
                if stop[start] or stop[start + size - 1] or (size == 1 and len(words[start]) < min_single):
                    continue
                span = words[start : start + size]
                display = joiner.join(span)
                if language == "zh" and size > 1 and len(display) < 3:
                    continue  # 用着, 买了: two characters read as one word
                key = normalise_arabic(display) if language == "ar" else display.lower()
                if key not in out:
                    out[key] = _Candidate(display, size, language == "zh" and _zh_noun_adj(role[start : start + size]))
    if language == "zh":
        # 很/不/太 are stopwords at a phrase's edge but the heart of 质量很好 / 物流不快.
        for words, role in zip(segments, roles, strict=True):
            for start in range(len(words)):
                if not role[start][0]:
                    continue
                for size in (3, 4):
                    if start + size <= len(words) and _zh_noun_adj(role[start : start + size]):
                        span = "".join(words[start : start + size])
                        out.setdefault(span.lower(), _Candidate(span, size, True))
    return out


def _ranked_phrases(
    member_cands: Sequence[dict[str, _Candidate]],
    language: str,
    global_df: Counter,
    min_support: int,
    limit: int = 12,
    even: frozenset[str] = frozenset(),
) -> list[str]:
    """The topic's label phrases, most distinctive first (display forms).

    A phrase scores by coverage (share of members using it) times precision (share of its uses,
    over every topic, that are in this one), with a bonus per word, so "card has not arrived"
    beats both "card" (in every card topic) and a rare sentence fragment. Chinese noun +
    adjective phrases (质量很好) score as one more word. A lone word leads only when no phrase
    of 2-4 words comes within `_MULTI_WORD_RATIO` of its score: the phrase that extends it
    ("activate" -> "activate my card") first, then the best other phrase. A lone word left in
    front that is in `even` (used alike in all topics: 东西, 不错) gives way to the best phrase
    with a word of its own, when that scores at least `_SPECIFIC_RATIO` of it. (A phrase around
    an even word stays: in a hotel-only corpus 房间 is in every topic, yet 房间太小 tells one.)
    """
    df: Counter = Counter()
    displays: dict[str, Counter] = {}
    shape: dict[str, _Candidate] = {}
    for cands in member_cands:
        df.update(cands.keys())
        for key, cand in cands.items():
            displays.setdefault(key, Counter())[cand.display] += 1
            shape.setdefault(key, cand)
    n = max(len(member_cands), 1)
    scored: list[tuple[float, str]] = []
    # Chinese reviews are long and varied: a phrase that 2% of them share is already telling.
    phrase_support = max(2, math.ceil(_ZH_PHRASE_SUPPORT * n)) if language == "zh" else min_support
    for key, count in df.items():
        if count < (min_support if shape[key].words == 1 else min(min_support, phrase_support)):
            continue
        display = displays[key].most_common(1)[0][0]
        if _contradictory(_words(display, language), language):
            continue
        words = min(shape[key].words, MAX_PHRASE_WORDS) + shape[key].noun_adj
        precision = count / max(global_df.get(key, count), count)
        score = (count / n) ** _COVERAGE_EXP * precision * (1 + _WORD_BONUS * (words - 1))
        scored.append((score, key))
    scored.sort(reverse=True)  # ties: the later key, as before (deterministic)
    ranked = [key for _, key in scored]
    if ranked and shape[ranked[0]].words == 1:
        best, best_score = ranked[0], scored[0][0]
        sep = "" if language == "zh" else " "
        ratio = _MULTI_WORD_RATIO[language == "zh"]
        multi = [(sc, k) for sc, k in scored[1:] if shape[k].words > 1 and sc >= ratio / 2 * best_score]
        # noun + adjective (房间不大) at half the bar: it says more than 补充点评 ("additional review")
        judged = [k for sc, k in multi if shape[k].noun_adj]
        multi = [(sc, k) for sc, k in multi if sc >= ratio * best_score]
        longer = [k for sc, k in multi if f"{sep}{best}{sep}" in f"{sep}{k}{sep}" or language == "zh" and best in k]
        pick = longer[0] if longer else judged[0] if judged else multi[0][1] if multi else None
        if pick:
            ranked.remove(pick)
            ranked.insert(0, pick)
    if even and ranked and shape[ranked[0]].words == 1 and _says_little(ranked[0], language, even):
        score = {k: sc for sc, k in scored}
        bar = _SPECIFIC_RATIO * score[ranked[0]]
        own = [k for k in ranked[1:] if score[k] >= bar and not _says_little(k, language, even)]
        if own:
            ranked.remove(own[0])
            ranked.insert(0, own[0])
    return [sorted(displays[k].items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for k in ranked[:limit]]


def _says_little(phrase: str, language: str, even: frozenset[str]) -> bool:
    """Every content word of `phrase` is one the topics all use alike (东西, 东西很好: 很 and 好 are no content)."""
    content = [w.lower() for w in _words(phrase, language) if len(w) >= 2 and not _is_stopword(w, language)]
    return bool(content) and all(w in even for w in content)


def _even_words(topic_member_cands: Sequence[Sequence[dict[str, _Candidate]]]) -> frozenset[str]:
    """One-word phrases used at an even rate over the topics (see `_EVENNESS`); none for fewer than five topics.

    Per topic, a word's rate is the share of members using it; the word is even when the
    entropy of those rates, normalised by the largest possible, reaches `_EVENNESS`.
    """
    topics = [m for m in topic_member_cands if m]
    if len(topics) < _EVEN_MIN_TOPICS:
        return frozenset()
    rates: dict[str, list[float]] = {}  # the topics without the word add nothing to the entropy
    for members in topics:
        df = Counter(key for cands in members for key, c in cands.items() if c.words == 1)
        for key, count in df.items():
            rates.setdefault(key, []).append(count / len(members))
    out = []
    for key, r in rates.items():
        if len(r) < _EVEN_MIN_TOPICS:
            continue
        p = np.array(r) / sum(r)
        if -(p * np.log(p)).sum() / math.log(len(topics)) >= _EVENNESS:
            out.append(key)
    return frozenset(out)


@lru_cache(maxsize=1)
def _known_arabic() -> frozenset[str]:
    """Arabic words the package knows (normalised): stopwords, the sentiment lexicon, the packaged taxonomy."""
    from cfm.nlp.categories import load_taxonomy

    taxonomy = load_taxonomy()
    phrases = [p for c in taxonomy.categories.values() for p in (*c.keywords.get("ar", []), *c.examples.get("ar", []))]
    words = {w for p in phrases for w in _AR_WORD.findall(normalise_arabic(p))}
    return frozenset(words | set(ARABIC) | set(POSITIVE["ar"]) | set(NEGATIVE["ar"]))


def _waw_is_clitic(word: str, vocab: Counter) -> bool:
    """Whether `word`'s leading و is the conjunction written onto it ("وتمزق") rather than its first letter ("وقت").

    A word the package knows with its و keeps it; one whose rest it knows loses it. Else the fit's
    Arabic word counts (`vocab`, normalised) decide: the rest written on its own or with the
    article (تمزق, التمزق) against the word itself and the word with a clitic before its و
    (الوقت, بواحد, ووصل); the conjunction is the answer only when the rest is the more common.
    """
    folded = normalise_arabic(word)
    rest = folded[1:]
    if folded[:1] != "و" or len(rest) < 2:
        return False
    known = _known_arabic()
    if folded in known:
        return False
    if rest in known:
        return True
    alone = vocab[rest] + vocab["ال" + rest]
    joined = vocab[folded] + sum(vocab[p + folded] for p in _AR_OUTER)
    return alone > joined


def _without_waw(phrase: str, vocab: Counter) -> str:
    """`phrase` without the conjunction و written onto its first word ("وتمزق بعد غسلة واحدة" -> "تمزق بعد غسلة واحدة")."""
    words = _words(phrase, "ar")
    if words and phrase.startswith(words[0]) and _waw_is_clitic(words[0], vocab):
        return phrase[1:]
    return phrase


def _arabic_vocab(texts: Sequence[str], langs: Sequence[str]) -> Counter:
    arabic = (t for t, lang in zip(texts, langs, strict=True) if lang == "ar")
    return Counter(w for t in arabic for w in _AR_WORD.findall(normalise_arabic(t)))


def _contradictory(words: Sequence[str], language: str) -> bool:
    folded = {normalise_arabic(w) if language == "ar" else w.lower() for w in words}
    return bool(folded & POSITIVE.get(language, {}).keys() and folded & NEGATIVE.get(language, {}).keys())


def label_problems(label: str, language: str) -> list[str]:
    """Why a label is hard to read: stopword at an edge, words of opposite polarity, a keyword list, too long.

    (Normalised Arabic spelling needs the members' texts: `_has_normalised_spelling`.)
    """
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
    if len(label) > (MAX_LABEL_CHARS_ZH if language == "zh" else MAX_LABEL_CHARS) or (
        language != "zh" and len(words) > MAX_LABEL_WORDS
    ):
        problems.append("too long")
    return problems


def is_multi_word(label: str, language: str) -> bool:
    """A phrase rather than a lone word ("card has not arrived", 质量不错; not "card", 京东)."""
    return len(_words(label, language)) > 1


def _has_normalised_spelling(label: str, member_texts: Sequence[str]) -> bool:
    """True when an Arabic label word never occurs as written in the members (it was normalised)."""
    written = {w for t in member_texts for w in _words(t, "ar")}
    written |= {w[1:] for w in written if w[:1] == "و"}  # the conjunction و taken off a label's first word
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
    cands: dict[int, dict[str, _Candidate]] = {}  # each member's phrase candidates, computed once
    for i, (text, lang, label) in enumerate(zip(texts, langs, labels.tolist(), strict=True)):
        if label >= 0:
            cands[i] = _candidates(text, lang)
            global_df.setdefault(lang, Counter()).update(cands[i].keys())
    topic_members = {t: np.flatnonzero(labels == t) for t in topic_centroids}
    # Chinese words every topic uses alike (东西, 不错) make no label; judged over this fit's topics.
    zh_even = _even_words([[cands[i] for i in m if langs[i] == "zh"] for m in topic_members.values()])
    ar_vocab: Counter | None = None  # the fit's Arabic word counts, read once a label opens with و
    out = {}
    alternatives: dict[int, list[str]] = {}
    for topic_id, centroid in topic_centroids.items():
        members = topic_members[topic_id]
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
        label, used, ranked = None, label_language, []
        # The report language first when a fair share of the topic is written in it.
        ordered = [lang for lang, _ in by_lang.most_common()]
        if by_lang[label_language] >= 0.2 * len(members):
            ordered = [label_language] + [lang for lang in ordered if lang != label_language]
        for lang in ordered:
            member_cands = [cands[i] for i in order if langs[i] == lang]
            if not member_cands:
                continue
            support = max(2, math.ceil(_MIN_SUPPORT * len(member_cands)))
            ranked = _ranked_phrases(
                member_cands, lang, global_df.get(lang, Counter()), support, even=zh_even if lang == "zh" else frozenset()
            )
            if lang == "ar" and any(p[:1] == "و" for p in ranked):
                ar_vocab = _arabic_vocab(texts, langs) if ar_vocab is None else ar_vocab
                ranked = list(dict.fromkeys(_without_waw(p, ar_vocab) for p in ranked))
            if ranked:
                label, used = ranked[0], lang
                break
        if not label and reps:
            # No phrase shared by two members: the most central verbatim, shortened, reads better than a keyword.
            used = script_language(reps[0])
            parts = _words(reps[0], used)[:6]
            while parts and _is_stopword(parts[-1], used):
                parts.pop()
            while parts and _is_stopword(parts[0], used):
                parts.pop(0)
            label = ("" if used == "zh" else " ").join(parts)
            if used == "ar" and label[:1] == "و":
                ar_vocab = _arabic_vocab(texts, langs) if ar_vocab is None else ar_vocab
                label = _without_waw(label, ar_vocab)
        if not label:
            label, used = "misc", label_language
        alternatives[topic_id] = ranked[1:]
        out[topic_id] = TopicDescription(label, words, reps, used, dict(sorted(by_lang.items())))
    _make_unique(out, alternatives)
    for topic_id, d in out.items():
        d.alternatives = list(alternatives.get(topic_id, []))
    return out


def unique_against(descriptions: dict[int, TopicDescription], taken: set[str] | frozenset[str]) -> dict[int, str]:
    """Relabel the topics whose label another live topic already has; returns topic -> old label of those changed.

    `taken` holds the labels of the registry's other live topics (any case). A clashing topic
    adds its next most distinctive phrase ("refund not received, bank transfer"), else its
    central verbatim's opening words, else a number; the result clashes neither with `taken`
    nor with the other descriptions. Deterministic: topics are handled in id order.
    """
    changed: dict[int, str] = {}
    live = {t.casefold() for t in taken}
    sep = {True: "，", False: ", "}
    for topic_id in sorted(descriptions):
        d = descriptions[topic_id]
        if d.label.casefold() not in live:
            continue
        others = {x.casefold() for x in live}
        mine = {x.casefold() for o, x in ((o, e.label) for o, e in descriptions.items()) if o != topic_id}
        extra = _distinct_phrase(d, d.alternatives, others, live | mine)
        old = d.label
        if extra:
            d.label = f"{d.label}{sep[d.label_language == 'zh']}{extra}"
            d.alternatives = [a for a in d.alternatives if a != extra]
        n = 2
        while d.label.casefold() in live | mine:
            d.label = f"{old}{sep[d.label_language == 'zh']}variant {n}"
            n += 1
        changed[topic_id] = old
    return changed


def _make_unique(out: dict[int, TopicDescription], alternatives: dict[int, list[str]]) -> None:
    """Give topics that share a label each their own: the label plus the topic's next most distinctive phrase.

    The added phrase is one the other topics of the clash do not have among their phrases and
    that repeats no word of the label ("identity, verify my identity" would), so each label
    says what sets its topic apart. When a topic has no such phrase, its central verbatim's
    opening words stand in; only topics whose members share every phrase are numbered
    ("..., variant 2"). Deterministic: topics are handled in id order.
    """
    for _ in range(3):
        groups: dict[str, list[int]] = {}
        for topic_id in sorted(out):
            groups.setdefault(out[topic_id].label.casefold(), []).append(topic_id)
        clashes = [ids for ids in groups.values() if len(ids) > 1]
        if not clashes:
            return
        taken = set(groups)
        for ids in clashes:
            for topic_id in ids:
                d = out[topic_id]
                others = {a.casefold() for o in ids if o != topic_id for a in [out[o].label, *alternatives.get(o, [])]}
                extra = _distinct_phrase(d, alternatives.get(topic_id, []), others, taken)
                if extra:
                    d.label = f"{d.label}{'，' if d.label_language == 'zh' else ', '}{extra}"
                    taken.add(d.label.casefold())
                    alternatives[topic_id] = [a for a in alternatives.get(topic_id, []) if a != extra]
    # Members whose words cannot tell the topics apart (no phrase of their own): number the rest.
    seen: dict[str, int] = {}
    for topic_id in sorted(out):
        d = out[topic_id]
        key = d.label.casefold()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            d.label = f"{d.label}{'，' if d.label_language == 'zh' else ', '}variant {seen[key]}"


def _distinct_phrase(d: TopicDescription, alternatives: list[str], others: set[str], taken: set[str]) -> str | None:
    language = d.label_language
    label_words = {w.casefold() for w in _words(d.label, language)}
    sep = "，" if language == "zh" else ", "
    fallback = []
    for rep in d.representative_texts:
        if script_language(rep) == language:
            parts = [w for w in _words(rep, language) if _DISPLAY_WORD.fullmatch(w)][:4]
            while parts and _is_stopword(parts[-1], language):
                parts.pop()
            while parts and _is_stopword(parts[0], language):
                parts.pop(0)
            if parts:
                fallback.append(("" if language == "zh" else " ").join(parts))
    for phrase in [*alternatives, *fallback]:
        words = _words(phrase, language)
        if phrase.casefold() in others or label_words & {w.casefold() for w in words}:
            continue
        if _contradictory([*_words(d.label, language), *words], language):
            continue
        if f"{d.label}{sep}{phrase}".casefold() in taken:
            continue
        return phrase
    return None
