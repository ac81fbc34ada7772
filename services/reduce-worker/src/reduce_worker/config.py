from __future__ import annotations

from pydantic import Field

from ftm_shared.config import FtmSettings
from ftm_shared.llm import LlmSettings


class ReduceWorkerSettings(LlmSettings, FtmSettings):
    """reduce-worker's settings: the common ones, the LLM's, and these."""

    # 0.7 in the space without the common direction (THEME_REMOVE_COMMON), where distances
    # are larger than between raw centroids; measured with `nox -s quality`.
    theme_distance_threshold: float = Field(
        0.7,
        gt=0,
        lt=2,
        description="Average-linkage cosine distance above which topic groups stay apart "
        "(THEME_DISTANCE_THRESHOLD); lower gives more, tighter themes",
    )
    theme_remove_common: bool = Field(
        True,
        description="Cluster the topics as they differ from the quarter's average topic "
        "(THEME_REMOVE_COMMON); off, generic topics chain into one catch-all theme",
    )
    theme_max_share: float = Field(
        0.10,
        gt=0,
        le=1,
        description="A group holding more of the quarter's topics than this is split at a "
        "stricter threshold, unless its topics are near duplicates (THEME_MAX_SHARE)",
    )
    theme_min_similarity: float = Field(
        0.5,
        ge=-1,
        le=1,
        description="A topic less cosine-similar than this to its theme's centroid is "
        "unassigned (THEME_MIN_SIMILARITY)",
    )
    min_theme_firms: int = Field(
        2,
        ge=1,
        description="Firms a theme needs; a group drawn from fewer is firm-specific "
        "(MIN_THEME_FIRMS)",
    )
    theme_micro_clusters: int = Field(
        2000,
        ge=2,
        le=10_000,
        description="Above this many topics, seeded k-means first groups them into this many "
        "micro-clusters and linkage runs on those (THEME_MICRO_CLUSTERS)",
    )
    theme_seed: int = Field(42, description="Seed of the k-means micro-clustering (THEME_SEED)")
    theme_naming_topics: int = Field(
        6,
        ge=1,
        le=20,
        description="Most central member topics shown to the LLM per theme (THEME_NAMING_TOPICS)",
    )
    theme_keywords: int = Field(
        10, ge=1, le=50, description="Keywords kept per theme (THEME_KEYWORDS)"
    )
    theme_quotes: int = Field(
        5,
        ge=1,
        le=50,
        description="Representative sentences kept per theme as its supporting quotes "
        "(THEME_QUOTES)",
    )
    # Why 0.75: docs/research-outputs.md, "Why LINEAGE_MIN_SIMILARITY is 0.75".
    # 0.80 by `nox -s bench -- panel` (70 MAEC firms, 2016Q1-2017Q2): every continuation
    # between 0.75 and 0.80 shared fewer than 2 of its top 10 keywords; above 0.80, 43% did
    # (random theme pairs: 2%).
    registry_min_similarity: float = Field(
        0.80,
        ge=-1,
        le=1,
        description="Cosine similarity of a quarter theme's centroid to a stable theme's anchor "
        "(both relative to the call register) from which it may continue that stable theme "
        "(REGISTRY_MIN_SIMILARITY)",
    )
    registry_name_fit_rank: int = Field(
        3,
        ge=1,
        description="A stable theme's name must rank the quarter theme within this many of the "
        "quarter's themes for the theme to continue it; else it drifted and gets a new id "
        "(REGISTRY_NAME_FIT_RANK)",
    )
    lineage_min_similarity: float = Field(
        0.75,
        ge=-1,
        le=1,
        description="Cosine similarity of two quarters' theme centroids (without their pooled "
        "average topic) from which a theme continues one of the previous quarter's "
        "(LINEAGE_MIN_SIMILARITY)",
    )
