from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from ftm_shared import schemas
from reduce_worker.config import ReduceWorkerSettings


def topic_row(
    firm_id: str, topic_id: int, centroid: np.ndarray, keywords: list[str]
) -> dict[str, object]:
    return {
        "quarter": "2017Q1",
        "firm_id": firm_id,
        "firm_name": f"{firm_id} Inc.",
        "permno": None,
        "gvkey": None,
        "earnings_call_date": None,
        "topic_id": topic_id,
        "representation": "_".join(keywords),
        "keywords": keywords,
        "representative_docs": [],
        "n_docs": 10,
        "name": f"Topic {topic_id} of {firm_id}",
        "summary": f"What {firm_id} said about {keywords[0]}.",
        "naming_method": "llm",
        "llm_model": "test",
        "centroid": centroid.astype(np.float32).tolist(),
    }


@pytest.fixture
def planted() -> Callable[..., pa.Table]:
    """Firm-topic rows with known themes: theme t gets topic t of each of `firms` firms, a
    noisy copy of the theme's direction; `solo` more topics of one firm share a direction no
    one else does; `strays` topics of firm F000 point anywhere."""

    def make(
        themes: int,
        firms: int,
        *,
        solo: int = 0,
        strays: int = 0,
        noise: float = 0.03,
        seed: int = 0,
    ) -> pa.Table:
        rng = np.random.default_rng(seed)
        centres = rng.normal(size=(themes + 1, 384))
        rows = []
        for t in range(themes):
            for f in range(firms):
                vector = centres[t] + rng.normal(scale=noise * np.linalg.norm(centres[t]), size=384)
                rows.append(topic_row(f"F{f:03d}", t, vector, [f"theme{t}", "common", f"firm{f}"]))
        for s in range(solo):
            vector = centres[themes] + rng.normal(
                scale=noise * np.linalg.norm(centres[0]), size=384
            )
            rows.append(topic_row("SOLO", s, vector, ["solo", "common"]))
        for s in range(strays):
            rows.append(topic_row("F000", themes + s, rng.normal(size=384), ["stray"]))
        return pa.Table.from_pylist(rows, schema=schemas.FIRM_TOPICS)

    return make


@pytest.fixture
def settings() -> ReduceWorkerSettings:
    return ReduceWorkerSettings(
        s3_bucket="unused", llm_base_url="http://127.0.0.1:1/v1", llm_model="unused"
    )
