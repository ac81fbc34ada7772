from __future__ import annotations

from pydantic import BaseModel, Field

from ftm_shared.config import FtmSettings
from ftm_shared.llm import LlmSettings
from ftm_shared.pipeline import PipelineSettings


class TopicTuning(BaseModel):
    """How a firm's sentences become topics; mixed into `MapWorkerSettings` (so each is a
    setting), and what the sentence and topic code takes, so a test can build the defaults."""

    min_sentence_words: int = Field(
        5,
        ge=1,
        description="Shorter sentences ('Thank you.') carry no topic and are dropped "
        "(MIN_SENTENCE_WORDS)",
    )
    topic_min_sentences: int = Field(
        15,
        ge=3,
        description="A firm with fewer sentences is one topic: clustering them is noise "
        "(TOPIC_MIN_SENTENCES)",
    )
    # 5 and 10 (was 3 and 20): topics of 3-10 sentences had too few shared words for
    # keywords; measured on 40 firms of each MAEC quarter (docs/theme-quality.md).
    topic_min_size: int = Field(
        5, ge=2, description="Fewest sentences a topic may have (TOPIC_MIN_SIZE)"
    )
    topic_size_divisor: int = Field(
        10,
        ge=1,
        description="A larger firm's smallest topic is its sentence count divided by this "
        "(TOPIC_SIZE_DIVISOR)",
    )
    topic_keywords: int = Field(
        10, ge=1, le=50, description="Keywords kept per topic (TOPIC_KEYWORDS)"
    )
    keyword_min_sentences: int = Field(
        2,
        ge=1,
        description="A keyword must occur in this many of its topic's sentences "
        "(KEYWORD_MIN_SENTENCES)",
    )
    keyword_distinctiveness: float = Field(
        1.5,
        ge=0,
        le=5,
        description="Power of the quarter IDF in a keyword's score; 0 ranks by frequency in the "
        "topic alone (KEYWORD_DISTINCTIVENESS)",
    )
    procedure_similarity: float = Field(
        0.6,
        ge=0,
        le=1.01,
        description="A sentence this cosine-similar to a call-procedure prototype is set aside "
        "as procedure; above 1 turns the embedding test off (PROCEDURE_SIMILARITY)",
    )
    topic_representative_sentences: int = Field(
        3,
        ge=1,
        le=20,
        description="Sentences closest to a topic's centroid, kept and shown to the LLM "
        "(TOPIC_REPRESENTATIVE_SENTENCES)",
    )


class NamingTuning(BaseModel):
    """How a topic is named by the LLM; mixed into `MapWorkerSettings` like `TopicTuning`."""

    naming_keywords: int = Field(
        8,
        ge=1,
        le=50,
        description="Keywords in the naming prompt and in a keyword fallback (NAMING_KEYWORDS)",
    )
    naming_sentence_chars: int = Field(
        300,
        ge=20,
        description="Each representative sentence in the prompt is cut to this "
        "(NAMING_SENTENCE_CHARS)",
    )
    naming_max_tokens: int = Field(
        200, ge=16, le=4096, description="Answer tokens at most per naming (NAMING_MAX_TOKENS)"
    )
    naming_temperatures: tuple[float, ...] = Field(
        (0.0, 0.6, 0.9, 1.0),
        min_length=1,
        description="Temperature of each ask; a rejected answer is asked again at the next, "
        "as a JSON list (NAMING_TEMPERATURES)",
    )
    naming_keyword_fallback: bool = Field(
        False,
        description="Name a topic the LLM gives no usable answer for (no schema-valid JSON "
        "after every retry) by its keyword phrases, marked `keyword_fallback`, instead of "
        "failing its firm; a rejected answer is always replaced so (NAMING_KEYWORD_FALLBACK; "
        "`--keyword-fallback` does the same for one run)",
    )


class MapWorkerSettings(LlmSettings, FtmSettings, TopicTuning, NamingTuning, PipelineSettings):
    """map-worker's settings: the common ones, the LLM's, the tuning above, and these."""

    checkpoint_interval: int = Field(
        50, ge=1, description="Finished firms per Parquet part and checkpoint (CHECKPOINT_INTERVAL)"
    )
    map_lease_s: float = Field(
        120.0,
        ge=30.0,
        description="How long a mapper's hold on a shard lasts unrenewed (renewed every fifth "
        "of it): a second mapper stops within a fifth of it, naming the first; one that died "
        "holding it delays the next this long",
    )
    ray_address: str | None = Field(
        None, description="Join this Ray cluster (RAY_ADDRESS); unset starts Ray locally"
    )
    ray_workers: int | None = Field(
        None, ge=1, description="Topic workers (actors); default: one per CPU Ray sees"
    )
    ray_cpus_per_worker: float = Field(1.0, gt=0, description="CPUs each topic worker reserves")
    # An LLM server on the CPUs the topic workers use decodes with every thread meeting at a
    # barrier after each layer: an embedding beside it stalls them all (a warm smoke run's map
    # on 2 cores: 286 s side by side, 240 s topics first; docs/benchmarks.md). In AWS vLLM has
    # a GPU box of its own and the overlap is free.
    naming_waits_for_topics: bool = Field(
        False,
        description="Name firms' topics only once every firm the process maps has its topics, "
        "instead of each firm as soon as its own are found: for an LLM on the same CPUs as "
        "the topic workers (`ftm llm up` sets it for its local server). Firms are checkpointed "
        "once named, so a run killed before then finds their topics again",
    )
    ray_startup_timeout_s: float = Field(
        300.0, gt=0, description="Give up when the topic workers have not started by then"
    )
    # A firm's ~90 sentences are encoded in one call, sorted by length: batches of 64 pad most
    # sentences to the longest, batches of 16 barely (one thread, 32 MAEC firms: 70 vs 102
    # sentences/s, as fast as one call over all of them; docs/benchmarks.md).
    embedding_batch_size: int = Field(
        16, ge=1, le=4096, description="Sentences per embedding batch within a firm's call"
    )
    topic_seed: int = Field(42, description="Seed of UMAP and sampling, for reproducible topics")
