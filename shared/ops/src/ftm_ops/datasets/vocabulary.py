"""Common call language for the namers' word check (`ftm_shared.llm.support`): the word stems
that at least `CALL_WORD_SHARE` of the MAEC calls of `YEARS` use.

Built from years that are neither the smoke run's quarter nor the quality benchmark's (2017 H1),
so that the check is not tuned on the calls it is measured on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ftm_shared.llm.support import CALL_WORD_SHARE
from ftm_shared.text import stems

SOURCE = "maec_2015_2018_sentences.parquet"
YEARS = ("2015", "2016")


def common_stems(calls: Iterable[str], share: float = CALL_WORD_SHARE) -> list[str]:
    """The stems that at least `share` of `calls` (one text each) use, sorted."""
    counts: Counter[str] = Counter()
    n_calls = 0
    for text in calls:
        counts.update(set(stems(text)))
        n_calls += 1
    return sorted(stem for stem, used in counts.items() if used >= share * n_calls)


def call_texts(sentences: Path, years: Iterable[str] = YEARS) -> list[str]:
    """Each call of `years` in a MAEC sentences file, its sentences joined."""
    table = pq.read_table(sentences, columns=["call_id", "quarter", "text"])
    year = pc.utf8_slice_codeunits(table["quarter"], 0, 4)
    table = table.filter(pc.is_in(year, pa.array(list(years))))
    calls: dict[str, list[str]] = {}
    for call_id, text in zip(table["call_id"].to_pylist(), table["text"].to_pylist(), strict=True):
        calls.setdefault(call_id, []).append(text or "")
    return [" ".join(parts) for parts in calls.values()]


def vocabulary_file(sentences: Path) -> str:
    """The text of `call_words.txt` built from `sentences`."""
    calls = call_texts(sentences)
    if not calls:
        raise ValueError(f"{sentences} has no calls of {', '.join(YEARS)}")
    found = common_stems(calls)
    header = (
        f"# Word stems (Snowball English) that at least {CALL_WORD_SHARE:.0%} of {len(calls):,} "
        f"MAEC calls of {'-'.join(YEARS)} use: {len(found):,} stems.\n"
        f"# Built by `ftm data vocabulary` from {SOURCE}; see ftm_shared.llm.support.\n"
    )
    return header + "".join(f"{stem}\n" for stem in found)
