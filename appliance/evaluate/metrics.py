"""Task metrics as pure functions (no torch): perplexity, classification, ROUGE, exact match, token F1.

ROUGE follows Google's `rouge-score` package (the reference implementation used by most papers) with its
default tokenizer: lower-case, every character outside [a-z0-9] is a separator, no stemming. It is
re-implemented here (about forty lines) so the appliance does not carry nltk/absl just for this; the
numbers equal `rouge_score.rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"]).score(ref, pred)`
F-measures (tests check hand-computed values).

Exact match and token F1 follow the SQuAD evaluation script: lower-case, drop punctuation and the articles
a/an/the, collapse whitespace; token F1 is the harmonic mean of bag-of-token precision and recall.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

# Which way is better, for gates and for "best run" choices.
HIGHER_IS_BETTER = {
    "accuracy", "precision", "recall", "f1", "macro_f1", "macro_precision", "macro_recall", "exact_match",
    "token_f1", "rouge1", "rouge2", "rougeL",
}  # fmt: skip
LOWER_IS_BETTER = {"loss", "perplexity"}


def higher_is_better(metric: str) -> bool:
    name = metric.rsplit(".", 1)[-1]
    if name in LOWER_IS_BETTER:
        return False
    if name in HIGHER_IS_BETTER:
        return True
    raise ValueError(f"unknown metric {metric!r}: known are {sorted(HIGHER_IS_BETTER | LOWER_IS_BETTER)}")


def perplexity(loss: float) -> float:
    """exp(mean token cross-entropy), capped so a diverged model gives a large finite number."""
    return math.exp(min(loss, 50.0))


# ---- classification


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy, per-class and macro precision/recall/F1, confusion matrix (rows = truth, columns = prediction).

    A predicted label outside `labels` (a model answering off-list) counts as wrong for every class and gets
    its own confusion column "<other>". Undefined ratios (no predictions / no support) are 0, as in
    scikit-learn's zero_division=0. Macro averages run over `labels` (default: the labels seen in y_true).
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items, y_pred {len(y_pred)}")
    classes = list(labels) if labels is not None else sorted(set(y_true))
    cols = classes + (["<other>"] if any(p not in classes for p in y_pred) else [])
    index = {c: i for i, c in enumerate(cols)}
    matrix = [[0] * len(cols) for _ in classes]
    for t, p in zip(y_true, y_pred, strict=True):
        if t in index and t != "<other>":
            matrix[classes.index(t)][index.get(p, index.get("<other>", 0))] += 1
    per_class: dict[str, dict[str, float]] = {}
    for i, c in enumerate(classes):
        tp = matrix[i][i]
        predicted = sum(matrix[r][i] for r in range(len(classes)))
        support = sum(matrix[i])
        prec = tp / predicted if predicted else 0.0
        rec = tp / support if support else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_class[c] = {"precision": prec, "recall": rec, "f1": f1, "support": support}
    n = len(classes) or 1
    correct = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == p)
    return {
        "accuracy": correct / len(y_true) if y_true else 0.0,
        "macro_precision": sum(v["precision"] for v in per_class.values()) / n,
        "macro_recall": sum(v["recall"] for v in per_class.values()) / n,
        "macro_f1": sum(v["f1"] for v in per_class.values()) / n,
        "per_class": per_class,
        "confusion_matrix": {"labels": classes, "columns": cols, "matrix": matrix},
    }


# ---- ROUGE (rouge-score compatible, no stemming)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    return [t for t in _NON_ALNUM.sub(" ", text.lower()).split() if t]


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f(overlap: int, n_pred: int, n_ref: int) -> dict[str, float]:
    p = overlap / n_pred if n_pred else 0.0
    r = overlap / n_ref if n_ref else 0.0
    return {"precision": p, "recall": r, "fmeasure": 2 * p * r / (p + r) if p + r else 0.0}


def lcs_length(a: Sequence[Any], b: Sequence[Any]) -> int:
    """Length of the longest common subsequence (not substring)."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge(prediction: str, reference: str) -> dict[str, dict[str, float]]:
    """ROUGE-1, ROUGE-2 (n-gram overlap) and ROUGE-L (longest common subsequence) of one pair."""
    pred, ref = rouge_tokens(prediction), rouge_tokens(reference)
    out = {}
    for n in (1, 2):
        pn, rn = _ngrams(pred, n), _ngrams(ref, n)
        out[f"rouge{n}"] = _f(sum((pn & rn).values()), sum(pn.values()), sum(rn.values()))
    out["rougeL"] = _f(lcs_length(pred, ref), len(pred), len(ref))
    return out


# ---- short answers (SQuAD normalization)

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


def generation_metrics(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Means over pairs: exact_match, token_f1, rouge1/rouge2/rougeL F-measures."""
    if len(predictions) != len(references):
        raise ValueError("predictions and references differ in length")
    n = len(predictions) or 1
    sums = Counter()
    for p, r in zip(predictions, references, strict=True):
        sums["exact_match"] += exact_match(p, r)
        sums["token_f1"] += token_f1(p, r)
        for k, v in rouge(p, r).items():
            sums[k] += v["fmeasure"]
    return {k: sums[k] / n for k in ("exact_match", "token_f1", "rouge1", "rouge2", "rougeL")}


# ---- memorization helpers


def longest_common_substring(a: str, b: str) -> int:
    """Length in characters of the longest string that occurs in both `a` and `b`."""
    from difflib import SequenceMatcher

    if not a or not b:
        return 0
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size


def exposure(rank: int, space: int) -> float:
    """Carlini et al. (2019) exposure: log2 |R| − log2 rank, with rank 1 = the canary is the most likely."""
    return math.log2(space) - math.log2(rank)
