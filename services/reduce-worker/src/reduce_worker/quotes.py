"""Each theme's supporting quotes: the sentences a reader checks its name against.

They come from the member topics' representative sentences (map keeps BERTopic's, best
first), taken topic by topic in order of the topic's similarity to the theme's centroid
(the contributions' order): first each topic's best sentence, then each topic's second, and
so on, so the quotes spread over firms before one firm is quoted twice. A sentence already
quoted for the theme (the same words, case and spacing aside) is not quoted again.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from ftm_shared import schemas
from reduce_worker.themes import Theme

_FIRM_COLUMNS = [field.name for field in schemas.FIRM_FIELDS]


def _same_words(text: str) -> str:
    return " ".join(text.lower().split())


def theme_quotes(theme: Theme, docs: Sequence[Sequence[str]], n: int) -> list[tuple[int, str]]:
    """Up to `n` (member position, sentence) pairs, in the order described above; `docs` are
    the representative sentences of every row the theme's members index."""
    picked: list[tuple[int, str]] = []
    seen: set[str] = set()
    deepest = max((len(docs[i]) for i in theme.members), default=0)
    for depth in range(deepest):
        for position, row in enumerate(theme.members):
            if depth >= len(docs[row]):
                continue
            text = docs[row][depth].strip()
            if not text or _same_words(text) in seen:
                continue
            seen.add(_same_words(text))
            picked.append((position, text))
            if len(picked) == n:
                return picked
    return picked


def quotes_table(themes: Sequence[Theme], rows: pa.Table, n: int) -> pa.Table:
    """Up to `n` quotes per theme, themes in order, rank 1 first, with who said it and when."""
    docs = rows["representative_docs"].to_pylist()
    firms = rows.select([*_FIRM_COLUMNS, "topic_id"]).to_pylist()
    quoted = []
    for theme in themes:
        for rank, (position, text) in enumerate(theme_quotes(theme, docs, n), start=1):
            quoted.append(
                {
                    "theme_id": theme.theme_id,
                    "rank": rank,
                    **firms[int(theme.members[position])],
                    "similarity": float(theme.similarity[position]),
                    "text": text,
                }
            )
    return pa.Table.from_pylist(quoted, schema=schemas.THEME_QUOTES)
