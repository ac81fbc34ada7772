from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import ray

from ftm_shared.embedding import embed
from map_worker.config import TopicTuning
from map_worker.workers import TopicWorker, ray_temp_dir, start_ray


@pytest.mark.unit
@pytest.mark.parametrize(
    ("temp_dir", "virtualenv", "replaced"),
    [
        ("/tmp", "/srv/app/.venv", False),
        # too deep for Ray's sockets (nox's per-session folder in a deep clone)
        ("/home/dev/src/ftm/.nox/tests-member-map-worker/tmp", "/srv/app/.venv", True),
        # short enough, but inside the virtualenv (nox's per-session folder in a shallow clone)
        ("/ci/ftm/.nox/e2e/tmp", "/ci/ftm/.nox/e2e", True),
    ],
)
def test_ray_gets_a_temp_dir_its_workers_accept(
    temp_dir: str, virtualenv: str, replaced: bool
) -> None:
    assert (ray_temp_dir(temp_dir, virtualenv) is not None) is replaced


@pytest.fixture(scope="module")
def worker() -> Iterator[object]:
    start_ray(None)
    actor = TopicWorker.remote(2, 42, 1, TopicTuning())  # type: ignore[attr-defined]
    yield actor
    ray.kill(actor)
    ray.shutdown()


@pytest.mark.integration
def test_a_firm_is_embedded_and_clustered_in_one_call(worker: object) -> None:
    texts = ["Revenue grew twelve percent on strong demand.", "Margins improved this quarter."]
    work = ray.get(worker.firm_topics.remote(texts))  # type: ignore[attr-defined]
    assert len(work.topics) == 1 and work.topics[0].n_docs == 2
    mean = embed(texts).mean(axis=0)
    np.testing.assert_allclose(work.topics[0].centroid, mean / np.linalg.norm(mean), atol=1e-4)
    assert work.embed_s > 0 and work.topics_s > 0
    # One worker, one thread: numba's first fit (at start-up) would have raised it to all CPUs.
    assert work.threads == 1


@pytest.mark.integration
def test_start_up_pays_the_first_fit_so_firms_cost_their_steady_rate(worker: object) -> None:
    startup_s = ray.get(worker.ready.remote())  # type: ignore[attr-defined]
    rng = np.random.default_rng(1)
    texts = [f"Sentence {i} on margins, pricing and demand {rng.integers(9)}." for i in range(90)]
    work = ray.get(worker.firm_topics.remote(texts))  # type: ignore[attr-defined]
    # Without the warm-up fit numba compiles here: about 20 s, against well under 2 once warm.
    assert work.topics_s < startup_s / 3, (work.topics_s, startup_s)
    assert work.nth >= 1
