"""The topic workers' pool: lent to one firm at a time; it knows when every firm has topics."""

from __future__ import annotations

import asyncio

import pytest

from map_worker.pool import WorkerPool


async def _firm(pool: WorkerPool, name: str, log: list[str], fails: bool = False) -> None:
    try:
        async with pool.lend():
            await asyncio.sleep(0)  # the worker finding the firm's topics
            if fails:
                raise RuntimeError(f"{name}: no topics")
            log.append(f"{name} topics")
    except RuntimeError:
        log.append(f"{name} failed")
        return
    await pool.all_topics()
    log.append(f"{name} named")


@pytest.mark.unit
def test_naming_that_waits_for_topics_starts_once_no_firm_wants_a_worker() -> None:
    async def scenario() -> list[str]:
        pool, log = WorkerPool(["the one worker"], 0.0), []
        await asyncio.gather(*(_firm(pool, name, log, fails=name == "b") for name in "abc"))
        return log

    log = asyncio.run(scenario())
    # A firm whose topics failed holds nobody up; nothing is named before every firm is done.
    assert log[:3] == ["a topics", "b failed", "c topics"]
    assert sorted(log[3:]) == ["a named", "c named"]


@pytest.mark.unit
def test_a_pool_no_firm_asked_has_all_its_topics() -> None:
    async def scenario() -> None:
        await asyncio.wait_for(WorkerPool(["w"], 0.0).all_topics(), 1.0)

    asyncio.run(scenario())
