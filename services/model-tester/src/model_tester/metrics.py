"""Entity-level precision, recall and F1, per label and overall, exact and relaxed.

Answers carry entity texts, not offsets, so matching is on (label, text) pairs, one to one:
exact when the whitespace-normalised texts are equal, relaxed when, ignoring case, one text
contains the other (a partial span such as "Timolol" for "Timolol 0.5%").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from model_tester.medical_data import Entity

OVERALL = "overall"


@dataclass
class Counts:
    true_positives: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.true_positives,
            "predicted": self.predicted,
            "gold": self.gold,
        }


def _norm(text: str) -> str:
    return " ".join(text.split())


def exact_match(predicted: str, gold: str) -> bool:
    return _norm(predicted) == _norm(gold)


def relaxed_match(predicted: str, gold: str) -> bool:
    p, g = _norm(predicted).lower(), _norm(gold).lower()
    return bool(p and g) and (p in g or g in p)


def matched_pairs(
    predicted: Sequence[Entity], gold: Sequence[Entity], match: Callable[[str, str], bool]
) -> int:
    """How many predictions pair off with a distinct gold entity of the same label."""
    unused = list(gold)
    hits = 0
    # Exact-text candidates first, so a relaxed pairing never steals an exact one's partner.
    for entity in sorted(
        predicted, key=lambda e: not any(exact_match(e.text, g.text) for g in gold)
    ):
        for index, candidate in enumerate(unused):
            if candidate.label == entity.label and match(entity.text, candidate.text):
                hits += 1
                del unused[index]
                break
    return hits


def score(
    pairs: Iterable[tuple[Sequence[Entity], Sequence[Entity]]],
    labels: Sequence[str],
    match: Callable[[str, str], bool],
) -> dict[str, Counts]:
    """Counts per label and overall over (predicted, gold) pairs, one pair per example."""
    counts = {label: Counts() for label in (*labels, OVERALL)}
    for predicted, gold in pairs:
        for label in labels:
            p = [e for e in predicted if e.label == label]
            g = [e for e in gold if e.label == label]
            tp = matched_pairs(p, g, match)
            for bucket in (counts[label], counts[OVERALL]):
                bucket.true_positives += tp
                bucket.predicted += len(p)
                bucket.gold += len(g)
    return counts


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
