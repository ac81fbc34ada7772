"""A lease on one piece of work, held in the bucket: one holder at a time.

Two mappers on the same shard of a run (a second `ftm quarter run` started beside the first,
or a Batch retry while the first job still runs) would map every firm twice and race on the
same part keys. The first to create the lease object holds it (S3 If-None-Match); it renews it
every `ttl_s / RENEWALS_PER_TTL` from a thread of its own (so a busy event loop cannot starve
it), and releases it when done. Another comes to a held lease and watches it for one renewal:
a lease that is renewed has a live holder, and it stops with one line naming that holder; a
lease that is not renewed by the time it expires was left by a holder that died, and it takes
it over (S3 If-Match on the version it read, so of two that try, one wins).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ftm_shared.errors import InputError
from ftm_shared.storage import ObjectNotFoundError, ObjectStore, PreconditionFailedError

log = logging.getLogger(__name__)

RENEWALS_PER_TTL = 5


class LeaseHeldError(InputError):
    """The work is someone else's: its lease is held and renewed."""


class LeaseLostError(RuntimeError):
    """This holder's lease was taken over (it was not renewed in time): stop writing."""


def holder_name() -> str:
    return f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:8]})"


def _clock(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%H:%M:%S UTC")


@dataclass
class Lease:
    """`acquire` it, then `release` it; `lost` turns true if another holder took it over."""

    store: ObjectStore
    key: str
    what: str
    """The work, in words, for the messages ("shard 00000 of run ...")."""
    ttl_s: float
    holder: str = field(default_factory=holder_name)
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    lost: bool = False
    _tag: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _renewer: threading.Thread | None = None

    @property
    def renew_every_s(self) -> float:
        return self.ttl_s / RENEWALS_PER_TTL

    def acquire(self) -> None:
        """Hold the lease, after waiting out one that a dead holder left; LeaseHeldError when
        a live holder renews it."""
        if not self._put(None):
            self._take_over()
        self._renewer = threading.Thread(target=self._renew_until_released, daemon=True)
        self._renewer.start()

    def release(self) -> None:
        """Stop renewing and mark the lease expired (so the next holder need not wait)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        if self._tag is not None and not self.lost:
            try:
                self.store.put_conditional(self.key, self._record(expires_at=0.0), self._tag)
            except PreconditionFailedError:
                log.warning("%s: lease taken over before it was released", self.what)
        self._tag = None

    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def _record(self, expires_at: float | None = None) -> bytes:
        now = self.now()
        return json.dumps(
            {
                "holder": self.holder,
                "what": self.what,
                "renewed_at": now,
                "expires_at": now + self.ttl_s if expires_at is None else expires_at,
            }
        ).encode()

    def _read(self) -> tuple[dict[str, Any], str] | None:
        try:
            data, tag = self.store.get_versioned(self.key)
        except ObjectNotFoundError:
            return None
        return json.loads(data), tag

    def _take_over(self) -> None:
        watched: str | None = None
        while True:
            seen = self._read()
            if seen is None:  # released and removed meanwhile: create it again
                if self._put(None):
                    return
                continue
            record, tag = seen
            if record["expires_at"] <= self.now():
                if self._put(tag):
                    if record["expires_at"] > 0:
                        log.warning(
                            "%s: took over the lease %s left at %s (not renewed since)",
                            self.what,
                            record["holder"],
                            _clock(record["renewed_at"]),
                        )
                    return
                continue  # another took it first, or its holder renewed it: look again
            if watched is not None and tag != watched:
                raise LeaseHeldError(
                    f"{self.what} is being worked on by {record['holder']} (lease renewed at "
                    f"{_clock(record['renewed_at'])}, held until {_clock(record['expires_at'])}): "
                    "a second worker would do it twice; wait for that one to finish, or stop it"
                )
            # A renewal within one interval tells a live holder from one that died.
            watched = tag
            wait_s = min(record["expires_at"] - self.now(), self.renew_every_s) + 1.0
            log.info(
                "%s: its lease is held by %s; watching it %.0fs for a renewal",
                self.what,
                record["holder"],
                wait_s,
            )
            self.sleep(max(wait_s, 0.0))

    def _put(self, if_match: str | None) -> bool:
        try:
            self._tag = self.store.put_conditional(self.key, self._record(), if_match)
        except PreconditionFailedError:
            return False
        return True

    def _renew_until_released(self) -> None:
        while not self._stop.wait(self.renew_every_s):
            try:
                self._tag = self.store.put_conditional(self.key, self._record(), self._tag)
            except PreconditionFailedError:
                self.lost = True
                log.error("%s: the lease was taken over; this worker stops writing", self.what)
                return
            except Exception:  # a bucket that blinked: the next renewal may get through
                log.warning("%s: renewing the lease failed; trying again", self.what, exc_info=True)
