"""Leases in the bucket: one holder at a time; a live holder is told apart from a dead one by
whether it renews; a released lease is free at once. On a folder with a clock the test moves,
and on the moto bucket (S3's conditional writes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ftm_shared.lease import Lease, LeaseHeldError
from ftm_shared.storage import ObjectStore, PreconditionFailedError

KEY = "runs/quarter=2017Q1/run=r/shards/00000/lease.json"
TTL = 100.0


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0
        self.during_sleep: Callable[[], None] = lambda: None

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        self.during_sleep()


def lease(store: ObjectStore, clock: Clock, holder: str) -> Lease:
    return Lease(store, KEY, "shard 00000 of run r", TTL, holder, clock.now, clock.sleep)


@pytest.fixture
def folder(tmp_path: Path) -> ObjectStore:
    return ObjectStore(str(tmp_path / "bucket"))


@pytest.mark.unit
def test_a_live_holder_is_named_and_keeps_the_work(folder: ObjectStore) -> None:
    clock = Clock()
    first = lease(folder, clock, "box-a pid 1")
    assert first._put(None)
    clock.during_sleep = lambda: first._put(first._tag)  # it renews while the second watches

    with pytest.raises(LeaseHeldError, match=r"shard 00000 of run r is being worked on by box-a"):
        lease(folder, clock, "box-b pid 2")._take_over()
    assert clock.t - 1_000_000.0 == pytest.approx(TTL / 5 + 1)  # one renewal interval


@pytest.mark.unit
def test_a_dead_holders_lease_is_taken_over_once_it_expired(folder: ObjectStore) -> None:
    clock = Clock()
    dead = lease(folder, clock, "box-a pid 1")
    assert dead._put(None)
    second = lease(folder, clock, "box-b pid 2")

    second._take_over()

    assert clock.t >= 1_000_000.0 + TTL  # waited for the expiry, not longer than needed
    assert clock.t < 1_000_000.0 + TTL + TTL / 5 + 2
    assert not dead._put(dead._tag)  # the dead one, back, can no longer renew it


@pytest.mark.unit
def test_a_released_lease_is_free_at_once(folder: ObjectStore) -> None:
    clock = Clock()
    first = lease(folder, clock, "box-a pid 1")
    first.acquire()
    first.release()
    second = lease(folder, clock, "box-b pid 2")
    second.acquire()
    second.release()
    assert clock.t == 1_000_000.0


@pytest.mark.integration
def test_s3_conditional_writes_hold_the_lease(store: ObjectStore) -> None:
    tag = store.put_conditional(KEY, b"first")
    with pytest.raises(PreconditionFailedError):
        store.put_conditional(KEY, b"second")
    with pytest.raises(PreconditionFailedError):
        store.put_conditional(KEY, b"stale", '"not-the-tag"')
    assert store.get_versioned(KEY) == (b"first", tag)
    store.put_conditional(KEY, b"renewed", tag)

    clock = Clock()
    first = lease(store, clock, "box-a pid 1")
    store.delete(KEY)
    first.acquire()
    clock.during_sleep = lambda: first._put(first._tag)
    with pytest.raises(LeaseHeldError, match="box-a pid 1"):
        lease(store, clock, "box-b pid 2").acquire()
    first.release()
    taken = lease(store, clock, "box-b pid 2")
    taken.acquire()
    taken.release()
