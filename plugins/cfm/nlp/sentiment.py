"""Sentiment of feedback text: positive / neutral / negative and a score in [-1, 1].

No sentiment model can be downloaded here, so the scorer combines two parts:

- a logistic-regression classifier on the sentence embeddings, trained on seed sentences
  (and on rated feedback as weak labels when given: NPS 0-6 / 7-8 / 9-10, stars 1-2 / 3 / 4-5,
  CSAT and CES by position on their scale);
- a seed lexicon per language with negation handling (en, ar normalised, zh via jieba).

The embedding model behind the default configuration (all-MiniLM-L6-v2) is English-centric,
so for Arabic and Chinese the lexicon carries most of the weight.

When a trained head is shipped for the sentiment embedding model (`nlp.sentiment_embedding_model`,
multilingual USE by default; see `cfm.nlp.classifier_head`), `HeadSentimentModel` is used
instead: the head's probabilities, with "neutral" down-weighted so that clearly polar reviews
are not called neutral, optionally averaged with a classifier fitted on the batch's rated
feedback (weak labels).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from cfm.nlp.keywords import _arabic_stem, normalise_arabic
from cfm.nlp.sentiment_lexicon import NEGATIVE, NEGATORS, POSITIVE, SEED_SENTENCES

MODEL_NAME = "cfm-sentiment-lexicon+logreg"
MODEL_VERSION = "1"
LABELS = ("negative", "neutral", "positive")
# Weight of the embedding classifier per language; the lexicon gets the rest.
CLASSIFIER_WEIGHT = {"en": 0.6, "ar": 0.25, "zh": 0.25}
DEFAULT_CLASSIFIER_WEIGHT = 0.4
THRESHOLD = 0.2


@dataclass(frozen=True)
class Sentiment:
    """Label and score of one text."""

    label: str
    score: float


def weak_label(
    rating_type: str | None,
    value: float | None,
    scale_min: float | None = None,
    scale_max: float | None = None,
) -> str | None:
    """Sentiment label implied by a rating, or None when there is no usable rating.

    NPS (0-10): 0-6 negative, 7-8 neutral, 9-10 positive. Stars (1-5): 1-2 / 3 / 4-5.
    CSAT and CES: position on the declared scale, bottom 40% negative, top 40% positive
    (CES scales that run "higher = harder" must be flipped upstream).
    """
    if rating_type is None or value is None:
        return None
    kind = rating_type.lower()
    if kind == "nps":
        return "negative" if value <= 6 else "neutral" if value <= 8 else "positive"
    if kind == "star" and scale_min in (None, 1) and scale_max in (None, 5):
        return "negative" if value <= 2 else "neutral" if value < 4 else "positive"
    if kind in {"csat", "ces", "star"}:
        lo = 1.0 if scale_min is None else float(scale_min)
        hi = 5.0 if scale_max is None else float(scale_max)
        if hi <= lo:
            return None
        pos = (float(value) - lo) / (hi - lo)
        return "negative" if pos < 0.4 else "positive" if pos > 0.6 else "neutral"
    return None


def _lexicon_tokens(text: str, language: str) -> list[str]:
    if language == "zh":
        from cfm.nlp.keywords import segment  # memoised jieba: topics and aspects segment the same texts

        return [t for t in segment(text) if t.strip()]
    if language == "ar":
        return re.findall(r"[\u0621-\u064A]+", normalise_arabic(text))
    return re.findall(r"[a-z']+", text.lower())


@lru_cache(maxsize=8)
def _lexicon(lang: str) -> tuple[dict[str, int], dict[str, int], frozenset[str]]:
    if lang != "ar":
        return POSITIVE[lang], NEGATIVE[lang], frozenset(NEGATORS[lang])
    # Arabic entries go through the same normalisation as the text (hamza carriers, taa marbuta).
    return (
        {normalise_arabic(w): v for w, v in POSITIVE[lang].items()},
        {normalise_arabic(w): v for w, v in NEGATIVE[lang].items()},
        frozenset(normalise_arabic(w) for w in NEGATORS[lang]),
    )


@lru_cache(maxsize=1 << 16)
def _token_weight(tok: str, lang: str) -> float:
    """Polarity weight of one token (0.0: not in the lexicon), looking at its stem or characters too."""
    pos, neg, _ = _lexicon(lang)
    candidates = [tok]
    if lang == "ar":
        candidates.append(_arabic_stem(tok))
    if lang == "zh" and tok not in pos and tok not in neg and len(tok) > 1:
        candidates.extend(tok)  # unknown compound: look at its characters (很差 -> 差)
    for c in candidates:
        if c in pos:
            return float(pos[c])
        if c in neg and neg[c]:
            return -float(neg[c])
    return 0.0


@lru_cache(maxsize=65536)
def lexicon_score(text: str, language: str) -> tuple[float, int]:
    """Lexicon polarity in [-1, 1] and the number of polar words found (0 = no evidence).

    Memoised: feedback repeats texts, and aspects score the one-clause texts sentiment scored."""
    lang = language if language in POSITIVE else "en"
    negators = _lexicon(lang)[2]
    tokens = _lexicon_tokens(text, lang)
    total, hits, flip_until = 0.0, 0, -1
    for i, tok in enumerate(tokens):
        weight = _token_weight(tok, lang)
        if tok in negators and weight == 0.0:
            flip_until = i + 3
            continue
        if weight:
            hits += 1
            total += -weight if i <= flip_until else weight
    if not hits:
        return 0.0, 0
    return float(np.tanh(total / 2.0)), hits


class SentimentModel:
    """Embedding classifier + lexicon. `fit` on labelled texts, `predict` on embeddings + texts."""

    def __init__(self) -> None:
        self.classifier = None
        self.n_train = 0

    @property
    def name(self) -> str:
        return f"{MODEL_NAME}@{MODEL_VERSION}"

    def fit(self, vectors: np.ndarray, labels: Sequence[str], seed: int = 42) -> SentimentModel:
        from sklearn.linear_model import LogisticRegression

        self.classifier = LogisticRegression(C=2.0, max_iter=1000, random_state=seed, class_weight="balanced")
        self.classifier.fit(vectors, list(labels))
        self.n_train = len(labels)
        return self

    def predict(self, vectors: np.ndarray, texts: Sequence[str], languages: Sequence[str]) -> list[Sentiment]:
        """Label and score per text; score = weighted classifier (P(pos) - P(neg)) and lexicon."""
        if self.classifier is None:
            raise RuntimeError("SentimentModel.fit must be called before predict")
        classes = list(self.classifier.classes_)
        probs = self.classifier.predict_proba(vectors) if len(texts) else np.zeros((0, len(classes)))
        out = []
        for p, text, lang in zip(probs, texts, languages, strict=True):
            clf = float(p[classes.index("positive")] - p[classes.index("negative")])
            lex, hits = lexicon_score(text, lang)
            w = CLASSIFIER_WEIGHT.get(lang, DEFAULT_CLASSIFIER_WEIGHT)
            score = w * clf + (1 - w) * lex if hits else clf * (w if lang != "en" else 1.0)
            if text.strip().endswith(("?", "؟", "？")) and lex >= 0:
                score *= 0.5  # questions are mostly neutral requests for information
            score = float(np.clip(score, -1.0, 1.0))
            label = "positive" if score >= THRESHOLD else "negative" if score <= -THRESHOLD else "neutral"
            out.append(Sentiment(label, round(score, 4)))
        return out


def seed_training_set() -> tuple[list[str], list[str]]:
    """Seed sentences (all languages) and their labels, plus the lexicon words as one-word examples."""
    texts, labels = [], []
    for by_label in SEED_SENTENCES.values():
        for label, sentences in by_label.items():
            texts.extend(sentences)
            labels.extend([label] * len(sentences))
    for lang in ("en",):
        for word, w in POSITIVE[lang].items():
            if w >= 2:
                texts.append(word)
                labels.append("positive")
        for word, w in NEGATIVE[lang].items():
            if w >= 2:
                texts.append(word)
                labels.append("negative")
    return texts, labels


def train_sentiment_model(
    embed,
    weak_texts: Sequence[str] = (),
    weak_labels: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
) -> SentimentModel:
    """Train the classifier on the seed set plus optional weakly labelled (rated) feedback.

    `embed` maps a list of texts to unit vectors (the configured embedding backend).
    """
    texts, labels = seed_training_set()
    texts = texts + list(weak_texts)
    labels = labels + list(weak_labels)
    seed = int((config or {}).get("seed", 42))
    return SentimentModel().fit(embed(texts), labels, seed=seed)


def decision_margin(probs: np.ndarray, neutral_weight: float = 1.0) -> np.ndarray:
    """Per row, the lead of the chosen class over the runner-up (neutral down-weighted as in `decide`)."""
    weighted = np.sort(np.asarray(probs, dtype=float) * np.array([1.0, neutral_weight, 1.0]), axis=1)
    if not len(weighted):
        return np.zeros(0)
    return weighted[:, -1] - weighted[:, -2]


def cascade_probabilities(
    primary: np.ndarray,
    secondary: Callable[[np.ndarray], np.ndarray],
    margin: float,
    neutral_weight: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the primary model's probabilities where it is confident; ask `secondary` for the rest.

    `secondary(rows)` returns probabilities for those row indices only, so the second (slower)
    model embeds just the uncertain texts. Returns the probabilities and the mask of rows sent on.
    """
    primary = np.asarray(primary, dtype=float)
    unsure = decision_margin(primary, neutral_weight) < margin
    out = primary.copy()
    rows = np.flatnonzero(unsure)
    if len(rows):
        out[rows] = secondary(rows)
    return out, unsure


def second_model_rows(
    probs: np.ndarray,
    languages: Sequence[str | None],
    route_languages: Sequence[str] = (),
    margin: float = 0.0,
    neutral_weight: float = 1.0,
) -> np.ndarray:
    """Mask of texts the second sentiment model decides: those in `route_languages` (empty: every
    language) and, with a `margin` > 0, only those on which the first model's decision margin is
    below it (cascade); with 0, all of them (routing)."""
    wanted = set(route_languages)
    rows = np.array([not wanted or lang in wanted for lang in languages], dtype=bool)
    if margin > 0 and len(probs):
        rows &= decision_margin(probs, neutral_weight) < margin
    return rows


class HeadSentimentModel:
    """Sentiment from a shipped classifier head (+ optional weak-label adapter fitted on rated feedback)."""

    def __init__(self, head, *, neutral_weight: float = 1.0, lexicon_weight: float = 0.0, seed: int = 42) -> None:
        if tuple(sorted(head.classes)) != tuple(sorted(LABELS)):
            raise ValueError(f"{head.name}: classes {head.classes} are not {LABELS}")
        self.head = head
        self.neutral_weight = float(neutral_weight)
        self.lexicon_weight = float(lexicon_weight)
        self.seed = seed
        self.adapter = None
        self.n_weak = 0

    @property
    def name(self) -> str:
        return self.head.name + (f"+weak{self.n_weak}" if self.adapter is not None else "")

    def adapt(self, vectors: np.ndarray, labels: Sequence[str]) -> HeadSentimentModel:
        """Fit a batch-local classifier on weakly labelled (rated) items; its probabilities are averaged in."""
        from sklearn.linear_model import LogisticRegression

        if len(set(labels)) < 2:
            return self
        self.adapter = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced", random_state=self.seed)
        self.adapter.fit(vectors, list(labels))
        self.n_weak = len(labels)
        return self

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """P(negative, neutral, positive) per vector (columns in LABELS order)."""
        p = self.head.predict_proba(vectors)[:, [self.head.classes.index(c) for c in LABELS]]
        if self.adapter is not None and len(vectors):
            q = np.zeros_like(p)
            raw = self.adapter.predict_proba(vectors)
            for j, c in enumerate(self.adapter.classes_):
                q[:, LABELS.index(c)] = raw[:, j]
            p = (p + q) / 2.0
        return p

    def decide(self, probs: np.ndarray) -> list[Sentiment]:
        """Label = argmax with neutral down-weighted; score = P(positive) - P(negative)."""
        probs = np.asarray(probs)
        weighted = probs * np.array([1.0, self.neutral_weight, 1.0])
        scores = np.clip(probs[:, 2] - probs[:, 0], -1.0, 1.0).tolist() if len(probs) else []
        labels = weighted.argmax(axis=1).tolist() if len(probs) else []
        return [Sentiment(LABELS[k], round(score, 4)) for k, score in zip(labels, scores, strict=True)]

    def with_lexicon(self, probs: np.ndarray, texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
        """Add the seed lexicon's polar evidence to P(positive) / P(negative) and renormalise."""
        if not self.lexicon_weight:
            return probs
        probs = probs.copy()
        for i, (text, lang) in enumerate(zip(texts, languages, strict=True)):
            lex, hits = lexicon_score(text or "", lang or "en")
            if hits:
                probs[i, 2] += self.lexicon_weight * max(lex, 0.0)
                probs[i, 0] += self.lexicon_weight * max(-lex, 0.0)
        return probs / probs.sum(axis=1, keepdims=True)

    def predict(self, vectors: np.ndarray, texts: Sequence[str], languages: Sequence[str]) -> list[Sentiment]:
        return self.decide(self.with_lexicon(self.probabilities(vectors), texts, languages))
