"""Arrow schemas of the data contracts (their object keys: `layout.py`). Writers cast to them;
readers rely on them."""

from __future__ import annotations

import pyarrow as pa

# Who a row is about, in every contract that names a firm (in this order).
FIRM_FIELDS = (
    pa.field("firm_id", pa.string(), nullable=False),
    pa.field("firm_name", pa.string()),
    pa.field("permno", pa.int64()),
    pa.field("gvkey", pa.string()),
    pa.field("earnings_call_date", pa.date32()),
)

RAW_TRANSCRIPTS = pa.schema(
    [
        pa.field("call_id", pa.string(), nullable=False),
        *FIRM_FIELDS,
        pa.field("quarter", pa.string(), nullable=False),
        pa.field("para_idx", pa.int32(), nullable=False),
        pa.field("speaker", pa.string()),
        pa.field("text", pa.string(), nullable=False),
    ]
)

FIRM_METADATA = pa.schema(
    [
        pa.field("firm_id", pa.string(), nullable=False),
        pa.field("firm_name", pa.string()),
        pa.field("permno", pa.int64()),
        pa.field("gvkey", pa.string()),
        pa.field("sector", pa.string()),
    ]
)

# One row per (firm, topic): the map stage's output, the reduce stage's input.
FIRM_TOPICS = pa.schema(
    [
        pa.field("quarter", pa.string(), nullable=False),
        *FIRM_FIELDS,
        pa.field("topic_id", pa.int32(), nullable=False),
        pa.field("representation", pa.string(), nullable=False),
        pa.field("keywords", pa.list_(pa.string()), nullable=False),
        pa.field("representative_docs", pa.list_(pa.string()), nullable=False),
        pa.field("n_docs", pa.int32(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("summary", pa.string(), nullable=False),
        pa.field("naming_method", pa.string(), nullable=False),
        pa.field("llm_model", pa.string()),
        pa.field("centroid", pa.list_(pa.float32()), nullable=False),
    ]
)

# The reduce stage's output: one row per cross-firm theme ...
THEMES = pa.schema(
    [
        pa.field("theme_id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("description", pa.string(), nullable=False),
        # `llm`, or `keyword_fallback`: no LLM answer fitted (reduce_worker.naming).
        pa.field("naming_method", pa.string(), nullable=False),
        pa.field("n_firms", pa.int32(), nullable=False),
        pa.field("n_topics", pa.int32(), nullable=False),
        pa.field("keywords", pa.list_(pa.string()), nullable=False),
    ]
)

# ... and one row per (theme, member topic), with the topic's cosine similarity to the theme.
THEME_CONTRIBUTIONS = pa.schema(
    [
        pa.field("theme_id", pa.string(), nullable=False),
        *FIRM_FIELDS,
        pa.field("topic_id", pa.int32(), nullable=False),
        pa.field("similarity", pa.float32(), nullable=False),
    ]
)

# Each theme's most representative sentences (reduce_worker.quotes): rank 1 is the first
# representative sentence of the member topic most similar to the theme's centroid.
THEME_QUOTES = pa.schema(
    [
        pa.field("theme_id", pa.string(), nullable=False),
        pa.field("rank", pa.int32(), nullable=False),
        *FIRM_FIELDS,
        pa.field("topic_id", pa.int32(), nullable=False),
        pa.field("similarity", pa.float32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
    ]
)

# A quarter's themes linked to the previous quarter's (reduce_worker.lineage): one row per
# link, plus one per new theme (no previous_theme_id) and per vanished previous theme (no
# theme_id). `status` is that of the row's theme: continuing, split, merged, new, vanished.
LINEAGE_STATUSES = ("continuing", "split", "merged", "new", "vanished")
THEME_LINEAGE = pa.schema(
    [
        pa.field("quarter", pa.string(), nullable=False),
        pa.field("theme_id", pa.string()),
        pa.field("previous_quarter", pa.string(), nullable=False),
        pa.field("previous_run_id", pa.string(), nullable=False),
        pa.field("previous_theme_id", pa.string()),
        pa.field("similarity", pa.float32()),
        pa.field("status", pa.string(), nullable=False),
    ]
)

# The theme registry (reduce_worker.registry): one row per stable theme, a subject with one
# id in every quarter; `anchor` is the creating theme's content centroid (what later quarters'
# themes are compared with), `quarters` those it is assigned in.
STABLE_THEMES = pa.schema(
    [
        pa.field("stable_theme_id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("description", pa.string(), nullable=False),
        pa.field("keywords", pa.list_(pa.string()), nullable=False),
        pa.field("created_quarter", pa.string(), nullable=False),
        pa.field("created_run_id", pa.string(), nullable=False),
        pa.field("created_from_theme_id", pa.string(), nullable=False),
        pa.field("split_from", pa.string()),
        pa.field("quarters", pa.list_(pa.string()), nullable=False),
        pa.field("first_seen", pa.string()),
        pa.field("last_seen", pa.string()),
        pa.field("n_quarters", pa.int32(), nullable=False),
        pa.field("anchor", pa.list_(pa.float32()), nullable=False),
    ]
)

# ... and one row per (quarter, theme): the stable theme it was assigned to, and why.
THEME_ASSIGNMENTS = pa.schema(
    [
        pa.field("quarter", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("theme_id", pa.string(), nullable=False),
        pa.field("stable_theme_id", pa.string(), nullable=False),
        pa.field("decision", pa.string(), nullable=False),
        pa.field("similarity", pa.float32()),
        pa.field("name_fit_rank", pa.int32()),
        pa.field("nearest_stable_theme_id", pa.string()),
    ]
)

# Topic ids a sentence can have besides its firm's topics (0, 1, ...).
PROCEDURE_TOPIC_ID = -1
"""Call procedure, set aside before the topics were fitted (the firm's topic -1 row)."""
OUTLIER_TOPIC_ID = -2
"""Content that BERTopic's clustering left in no topic (its own -1): in no theme."""

# One row per sentence the map's topic model saw (sentences too short to carry a topic are
# not), with the topic it went to: map writes it beside each firm-topics part.
SENTENCE_TOPICS = pa.schema(
    [
        pa.field("firm_id", pa.string(), nullable=False),
        pa.field("call_id", pa.string(), nullable=False),
        pa.field("quarter", pa.string(), nullable=False),
        pa.field("para_idx", pa.int32(), nullable=False),
        pa.field("sentence_idx", pa.int32(), nullable=False),
        pa.field("topic_id", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
    ]
)

# The research panel: one row per (call, theme) with a non-zero exposure (the data
# dictionary in docs/research-outputs.md).
FIRM_THEME_EXPOSURE = pa.schema(
    [
        pa.field("firm_id", pa.string(), nullable=False),
        pa.field("call_id", pa.string(), nullable=False),
        pa.field("permno", pa.int64()),
        pa.field("gvkey", pa.string()),
        pa.field("earnings_call_date", pa.date32()),
        pa.field("quarter", pa.string(), nullable=False),
        pa.field("theme_id", pa.string(), nullable=False),
        pa.field("exposure", pa.float64(), nullable=False),
        pa.field("n_sentences", pa.int32(), nullable=False),
        pa.field("risk_exposure", pa.float64(), nullable=False),
        pa.field("sentiment", pa.float64(), nullable=False),
    ]
)
