from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import ray

from map_worker.config import TopicTuning
from map_worker.embed import embed
from map_worker.workers import TopicWorker, ray_temp_dir, shares, start_ray


@pytest.mark.unit
def test_shares_deal_every_firm_once_with_close_totals() -> None:
    sizes = [130, 4, 60, 59, 80, 250, 20]
    dealt = shares(sizes, 2)
    assert sorted(i for share in dealt for i in share) == list(range(len(sizes)))
    totals = [sum(sizes[i] for i in share) for share in dealt]
    assert totals == [309, 294]  # largest first, each to the lighter worker


@pytest.mark.unit
def test_fewer_firms_than_workers_leave_a_worker_idle() -> None:
    assert shares([10], 3) == [[0], [], []]


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
def test_one_pass_embeds_each_firm_as_alone(worker: object) -> None:
    firms = [
        ["Revenue grew twelve percent on strong demand.", "Margins improved this quarter."],
        ["We opened two new distribution centres in Texas."],
    ]
    first, second = ray.get(worker.embed.options(num_returns=2).remote(firms))  # type: ignore[attr-defined]
    np.testing.assert_allclose(first, embed(firms[0]), atol=1e-5)
    np.testing.assert_allclose(second, embed(firms[1]), atol=1e-5)
    alone = ray.get(worker.embed.options(num_returns=1).remote(firms[1:]))  # type: ignore[attr-defined]
    assert alone.shape == (1, 384)
