"""How good a quarter's topics and themes are, measured the same way on every run and in the
quality benchmark (`nox -s quality`), so that ftm and its baseline are compared like for like.

- **keyword NPMI**: for each topic, its top-10 content words (keywords split into words, stop
  words dropped, first occurrence kept), scored by normalised pointwise mutual information of
  every pair on sentence co-occurrence in the quarter's sentences (a pair that never shares a
  sentence scores -1), averaged per topic, then over topics. Higher: words that belong together.
- **topic diversity**: distinct words over all words of those top-10 lists, over every topic of
  the quarter. Low means the same words lead everywhere ("growth", "quarter", "sales").
- **largest theme**: its share of the topics and of the firms; and firms per theme.
- **call procedure**: the share of the quarter's sentences set aside as procedure, topics and
  themes made of it (by wording, `ftm_shared.procedure`: a topic whose representative
  sentences are mostly procedure; a theme whose members are half or more such topics).
- **names**: the share of LLM topic names that are fragments or copy a sentence, of
  summaries stating a number or name absent from what the model was shown, of summaries and
  theme descriptions using a word neither that nor common call language uses or defining their
  name (`ftm_shared.llm.support`), and of theme names
  that are fragments, of LLM summaries and theme descriptions with no whole sentence or that
  loop, of theme descriptions that retell one member topic's summary
  (`ftm_shared.llm.grounding`, the checks the namers ask again on); how
  well every name fits its own topic or theme beside keyword names, theme keywords one firm
  uses, filler in the largest theme (`name_quality.py`).

Keywords and sentences are split into words the same way (`ftm_shared.text.words`, as
BERTopic normalises text), so a keyword and the sentences it came from match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ftm_shared import layout
from ftm_shared.llm.fit import Embed
from ftm_shared.llm.grounding import (
    copied_sentence,
    fragment_reason,
    said_beyond,
    summary_problem,
    ungrounded_facts,
)
from ftm_shared.procedure import wording_reason
from ftm_shared.storage import ObjectStore
from ftm_shared.text import split_sentences, words
from reduce_worker.name_quality import (
    description_checks,
    keyword_spread,
    name_checks,
    name_fit,
)

TOP_WORDS = 10


def content_words(keywords: Iterable[str], n: int = TOP_WORDS) -> list[str]:
    """The first `n` distinct non-stop words of a topic's keywords (best first)."""
    found: list[str] = []
    for keyword in keywords:
        for word in words(keyword):
            if word not in ENGLISH_STOP_WORDS and word not in found:
                found.append(word)
                if len(found) == n:
                    return found
    return found


class CoOccurrence:
    """Which sentences each word of a vocabulary occurs in (binary), for NPMI."""

    def __init__(self, sentences: Iterable[str], vocabulary: Iterable[str]):
        self.index = {word: i for i, word in enumerate(sorted(set(vocabulary)))}
        rows: list[int] = []
        cols: list[int] = []
        n = 0
        for n, sentence in enumerate(sentences, start=1):
            present = {self.index[w] for w in words(sentence) if w in self.index}
            rows += [n - 1] * len(present)
            cols += present
        self.sentences = n
        matrix = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(max(n, 1), max(len(self.index), 1)),
        )
        self.matrix = matrix.tocsc()
        self.counts = np.asarray(self.matrix.sum(axis=0)).ravel()

    def npmi(self, topic_words: Sequence[str]) -> float | None:
        """Mean NPMI over the pairs of `topic_words` found in the sentences; None under two."""
        present = [
            self.index[w] for w in topic_words if w in self.index and self.counts[self.index[w]]
        ]
        if len(present) < 2 or not self.sentences:
            return None
        columns = self.matrix[:, present]
        joint = (columns.T @ columns).toarray()
        scores = []
        for a, b in combinations(range(len(present)), 2):
            if joint[a, b] == 0:
                scores.append(-1.0)
                continue
            p_ab = joint[a, b] / self.sentences
            p_a = self.counts[present[a]] / self.sentences
            p_b = self.counts[present[b]] / self.sentences
            scores.append(1.0 if p_ab == 1 else float(np.log(p_ab / (p_a * p_b)) / -np.log(p_ab)))
        return float(np.mean(scores))


def keyword_npmi(keyword_lists: Sequence[Sequence[str]], sentences: Iterable[str]) -> float:
    """Mean per-topic NPMI of the topics' top-10 content words (NaN when none can be scored)."""
    tops = [content_words(keywords) for keywords in keyword_lists]
    counts = CoOccurrence(sentences, (w for top in tops for w in top))
    scores = [s for s in (counts.npmi(top) for top in tops) if s is not None]
    return float(np.mean(scores)) if scores else float("nan")


def topic_diversity(keyword_lists: Sequence[Sequence[str]]) -> float:
    """Distinct words over all words of the topics' top-10 content words (NaN with no words)."""
    tops = [content_words(keywords) for keywords in keyword_lists]
    total = sum(len(top) for top in tops)
    return len({w for top in tops for w in top}) / total if total else float("nan")


@dataclass(frozen=True)
class ThemeView:
    """What the measures need of one theme: its member topics (row numbers of the content
    topics), its keywords and, once named, its name."""

    members: Sequence[int]
    name: str | None = None
    keywords: Sequence[str] = ()
    # The LLM's description; None for a theme named by its keywords or not named.
    description: str | None = None


def procedural_topic(representative_docs: Sequence[str]) -> bool:
    """A topic whose sentences are mostly call procedure by their wording."""
    docs = list(representative_docs)
    return bool(docs) and 2 * sum(wording_reason(doc) is not None for doc in docs) > len(docs)


def _share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def measure(
    rows: pd.DataFrame,
    sentences: Sequence[str],
    themes: Sequence[ThemeView],
    *,
    firms_total: int | None = None,
    documents: int | None = None,
    embed: Embed | None = None,
) -> dict[str, Any]:
    """Every quality measure of one quarter's result, as a flat JSON-ready dict.

    `rows`: firm-topic rows (columns of the firm-topics contract; topic -1 is a firm's call
    procedure); `sentences`: the quarter's sentences (for NPMI and the procedural share);
    `themes`: members index the content rows (topic_id >= 0) in `rows`' order; `firms_total`:
    firms that went in (default: firms with a row), so a firm with no topic counts as uncovered;
    `documents`: the firms' sentences, the procedural share's base (default: `sentences`);
    `embed`: the map's embedding model, for name fit (None: not measured).
    """
    procedure = rows[rows["topic_id"] < 0]
    topics = rows[rows["topic_id"] >= 0].reset_index(drop=True)
    keyword_lists = [list(k) for k in topics["keywords"]]
    firms = int(topics["firm_id"].nunique())
    total = firms_total if firms_total is not None else int(rows["firm_id"].nunique())
    named = topics[topics["naming_method"] == "llm"]
    theme_firms = [int(topics["firm_id"].iloc[list(t.members)].nunique()) for t in themes]
    theme_topics = [len(t.members) for t in themes]
    procedural_flags = [procedural_topic(docs) for docs in topics["representative_docs"]]
    report: dict[str, Any] = {
        "firms": total,
        "firms_covered": firms,
        "topics": len(topics),
        "topics_per_firm": round(len(topics) / firms, 2) if firms else None,
        "keyword_npmi": _rounded(keyword_npmi(keyword_lists, sentences)),
        "topic_diversity": _rounded(topic_diversity(keyword_lists)),
        "keywords_per_topic": _rounded(
            float(np.mean([len(content_words(k)) for k in keyword_lists])) if len(topics) else 0
        ),
        "procedural_sentences": int(procedure["n_docs"].sum()),
        "procedural_share": _share(
            int(procedure["n_docs"].sum()), len(sentences) if documents is None else documents
        ),
        "procedural_topics": int(sum(procedural_flags)),
        "themes": len(themes),
        "largest_theme_topic_share": _share(max(theme_topics, default=0), len(topics)),
        "largest_theme_firm_share": _share(max(theme_firms, default=0), firms),
        "firms_per_theme_median": float(np.median(theme_firms)) if themes else None,
        "firms_per_theme_max": max(theme_firms, default=0),
        "procedural_themes": sum(
            2 * sum(procedural_flags[i] for i in t.members) >= len(t.members) for t in themes
        ),
        "topic_names": len(named),
        "topic_llm_name_share": _share(len(named), len(topics)),
    }
    theme_names = [t.name for t in themes if t.name]
    keywords = [list(t.keywords) for t in themes]
    members = [list(t.members) for t in themes]
    report.update(_name_measures(named, theme_names))
    report.update(keyword_spread(topics, members, keywords))
    report.update(
        description_checks(
            topics, members, [t.name or "" for t in themes], [t.description for t in themes]
        )
    )
    if len(theme_names) == len(themes):
        report.update(name_checks(topics, theme_names, keywords))
    if embed is not None and len(topics):
        report.update(name_fit(topics, members, theme_names, keywords, embed))
    return report


def _name_measures(named: pd.DataFrame, theme_names: Sequence[str]) -> dict[str, Any]:
    fragments = copies = ungrounded = unusable = beyond = 0
    for name, summary, docs, keywords in zip(
        named["name"],
        named["summary"],
        named["representative_docs"],
        named["keywords"],
        strict=True,
    ):
        shown = [*docs, ", ".join(keywords)]
        fragments += fragment_reason(name) is not None
        copies += copied_sentence(name, docs) is not None
        ungrounded += bool(ungrounded_facts(summary, shown))
        problem = summary_problem(summary)
        unusable += problem is not None
        beyond += problem is None and said_beyond(name, summary, shown) is not None
    return {
        "fragment_name_share": _share(fragments, len(named)),
        "copied_name_share": _share(copies, len(named)),
        "fragment_or_copied_name_share": _share(fragments + copies, len(named)),
        "ungrounded_summary_share": _share(ungrounded, len(named)),
        "unfinished_or_looping_summary_share": _share(unusable, len(named)),
        "unsupported_summary_share": _share(beyond, len(named)),
        "theme_fragment_name_share": _share(
            sum(fragment_reason(name) is not None for name in theme_names), len(theme_names)
        ),
    }


def _rounded(value: float) -> float | None:
    return None if value != value else round(value, 4)  # NaN: nothing to measure


def quarter_sentences(store: ObjectStore, quarter: str, firm_ids: Iterable[str]) -> list[str]:
    """The sentences of `firm_ids` in the quarter's raw transcripts, cut as map cuts them
    (`ftm_shared.text.split_sentences`): the reference corpus of NPMI."""
    wanted = pa.array(sorted(set(firm_ids)), pa.string())
    found: list[str] = []
    for key in store.parquet_keys(layout.raw_transcripts_prefix(quarter)):
        table = store.read_parquet(key).select(["firm_id", "text"])
        table = table.filter(pc.is_in(table["firm_id"], wanted))
        found += [s for text in table["text"].to_pylist() if text for s in split_sentences(text)]
    return found
