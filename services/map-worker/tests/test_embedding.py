from __future__ import annotations

import numpy as np
import pytest

from ftm_shared.embedding import EMBEDDING_DIM, embed

pytestmark = pytest.mark.integration


def test_embeddings_are_unit_vectors_that_group_by_meaning() -> None:
    texts = [
        "Revenue grew twelve percent year over year on strong demand.",
        "Sales increased by 12% compared with last year.",
        "We opened two new distribution centres in Texas.",
    ]
    vectors = embed(texts, batch_size=2)
    assert vectors.shape == (3, EMBEDDING_DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.2


def test_no_texts_give_an_empty_matrix() -> None:
    assert embed([]).shape == (0, EMBEDDING_DIM)
