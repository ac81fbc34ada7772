"""Objects and Parquet tables in S3 (`s3://bucket[/prefix]`) or a local folder, one interface.

Writes are atomic on both backends: an S3 object only becomes visible once its upload is
complete, and a local file is written beside its target and renamed into place. A reader
never sees half of an object. A conditional write (`put_conditional`: create only, or
replace only the version read) is S3's If-None-Match / If-Match; a local folder takes a lock
file for it. Leases (`ftm_shared.lease`) are built on it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

from ftm_shared.errors import InputError

if TYPE_CHECKING:
    from ftm_shared.config import FtmSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
# S3 not reached at all (refused, reset, timed out): what an outage looks like from here.
UNREACHABLE = (BotoConnectionError, HTTPClientError)
DEFAULT_RECOVERY_TIMEOUT_S = 300.0  # FtmSettings.s3_recovery_timeout_s
OUTAGE_POLL_S = 5.0


class ObjectNotFoundError(FileNotFoundError):
    def __init__(self, uri: str) -> None:
        super().__init__(f"no object at {uri}")
        self.uri = uri


class CorruptObjectError(InputError):
    """An object exists but cannot be decoded; the message names it."""

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(f"{uri} is not a readable Parquet/JSON object: {reason}")
        self.uri = uri


class PreconditionFailedError(RuntimeError):
    """A conditional write found the object other than expected (there already, or changed)."""


class StorageUnavailableError(ConnectionError):
    """S3 did not answer within the recovery timeout."""


class ContractError(InputError):
    """A table lacks a column of its data contract or a column does not cast to the contract's
    type; the message names the object."""


class _Backend(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def list(self, prefix: str) -> Iterator[str]: ...
    def delete(self, key: str) -> None: ...
    def uri(self, key: str) -> str: ...
    def get_versioned(self, key: str) -> tuple[bytes, str]: ...
    def put_conditional(self, key: str, data: bytes, if_match: str | None) -> str: ...


class _S3Backend:
    """S3 calls that outlive an outage: botocore retries a call a few times in seconds; past
    that, a caller waits for the bucket to answer again (one caller polls, the others queue
    behind it, as the LLM client's callers share one health wait), up to the recovery
    timeout, then retries."""

    def __init__(self, bucket: str, root: str, s3: Any, recovery_timeout_s: float) -> None:
        self.bucket, self.root, self.s3 = bucket, root, s3
        self.recovery_timeout_s = recovery_timeout_s
        self._outage = threading.Lock()

    def _call(self, operation: Callable[[], T]) -> T:
        deadline: float | None = None
        while True:
            try:
                return operation()
            except UNREACHABLE as error:
                deadline = deadline or time.monotonic() + self.recovery_timeout_s
                with self._outage:
                    self._wait_for_bucket(deadline, error)

    def _wait_for_bucket(self, deadline: float, error: Exception) -> None:
        warned = False
        while True:
            try:
                self.s3.head_bucket(Bucket=self.bucket)
                return
            except UNREACHABLE:
                pass
            if time.monotonic() >= deadline:
                raise StorageUnavailableError(
                    f"S3 ({self.s3.meta.endpoint_url}) did not answer for "
                    f"{self.recovery_timeout_s:.0f}s (S3_RECOVERY_TIMEOUT_S): {error}"
                ) from None
            if not warned:
                log.warning("S3 does not answer (%s); waiting for it", error)
                warned = True
            time.sleep(OUTAGE_POLL_S)

    def _key(self, key: str) -> str:
        return self.root + key

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def put(self, key: str, data: bytes) -> None:
        # upload_fileobj switches to multipart for large objects; either way the object
        # appears only when the last part is committed.
        self._call(lambda: self.s3.upload_fileobj(io.BytesIO(data), self.bucket, self._key(key)))

    def get(self, key: str) -> bytes:
        return self.get_versioned(key)[0]

    def list(self, prefix: str) -> Iterator[str]:
        def keys() -> list[str]:
            paginator = self.s3.get_paginator("list_objects_v2")
            pages = paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix))
            return [
                item["Key"][len(self.root) :] for page in pages for item in page.get("Contents", [])
            ]

        yield from self._call(keys)

    def delete(self, key: str) -> None:
        self._call(lambda: self.s3.delete_object(Bucket=self.bucket, Key=self._key(key)))

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        def read() -> tuple[bytes, str]:
            response = self.s3.get_object(Bucket=self.bucket, Key=self._key(key))
            return response["Body"].read(), str(response["ETag"])

        try:
            return self._call(read)
        except self.s3.exceptions.NoSuchKey:
            raise ObjectNotFoundError(self.uri(key)) from None

    def put_conditional(self, key: str, data: bytes, if_match: str | None) -> str:
        condition = {"IfMatch": if_match} if if_match else {"IfNoneMatch": "*"}
        try:
            response = self._call(
                lambda: self.s3.put_object(
                    Bucket=self.bucket, Key=self._key(key), Body=data, **condition
                )
            )
        except self.s3.exceptions.ClientError as error:
            # 412: the condition failed; 409: another conditional write of the key raced it.
            if error.response.get("Error", {}).get("Code") in {
                "PreconditionFailed",
                "ConditionalRequestConflict",
            }:
                raise PreconditionFailedError(self.uri(key)) from None
            raise
        return str(response["ETag"])


class _LocalBackend:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key {key!r} escapes the storage root {self.root}")
        return path

    def uri(self, key: str) -> str:
        return str(self._path(key))

    def put(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp_name).replace(target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFoundError(str(path))
        return path.read_bytes()

    def list(self, prefix: str) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix) and not path.name.endswith(".tmp"):
                yield key

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        data = self.get(key)
        return data, _etag(data)

    def put_conditional(self, key: str, data: bytes, if_match: str | None) -> str:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Named like a partial write, so that listing skips it.
        lock = target.parent / f".{target.name}.lock.tmp"
        with lock.open("a") as handle, _locked(handle.fileno()):
            current = _etag(target.read_bytes()) if target.is_file() else None
            if current != if_match:
                raise PreconditionFailedError(str(target))
            self.put(key, data)
        return _etag(data)


def _etag(data: bytes) -> str:
    return f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


class ObjectStore:
    """Bytes, JSON and Parquet under one root: `s3://bucket/prefix` or a local folder."""

    def __init__(
        self,
        url: str,
        *,
        s3_client: Any | None = None,
        recovery_timeout_s: float = DEFAULT_RECOVERY_TIMEOUT_S,
    ) -> None:
        self.url = url
        parsed = urlparse(url)
        self._backend: _Backend
        if parsed.scheme == "s3":
            if s3_client is None:
                raise ValueError("an s3:// store needs an S3 client")
            root = parsed.path.strip("/")
            self._backend = _S3Backend(
                parsed.netloc, f"{root}/" if root else "", s3_client, recovery_timeout_s
            )
        elif parsed.scheme in {"", "file"}:
            self._backend = _LocalBackend(Path(parsed.path if parsed.scheme else url))
        else:
            raise ValueError(f"unsupported storage URL {url!r}: use s3://bucket or a local path")

    @classmethod
    def from_settings(cls, settings: FtmSettings) -> ObjectStore:
        from ftm_shared.aws import client_for

        return cls(
            settings.storage_url,
            s3_client=client_for("s3", settings),
            recovery_timeout_s=settings.s3_recovery_timeout_s,
        )

    def uri(self, key: str) -> str:
        return self._backend.uri(key)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._backend.put(key, data)

    def get_bytes(self, key: str) -> bytes:
        return self._backend.get(key)

    def list_keys(self, prefix: str = "") -> list[str]:
        return sorted(self._backend.list(prefix))

    def exists(self, key: str) -> bool:
        return key in self.list_keys(key)

    def delete(self, key: str) -> None:
        self._backend.delete(key)

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        """The object and its version tag (its ETag), for a later `put_conditional`."""
        return self._backend.get_versioned(key)

    def put_conditional(self, key: str, data: bytes, if_match: str | None = None) -> str:
        """Write only if the object is absent (`if_match` None) or still the version read
        (`if_match` its tag); PreconditionFailedError otherwise. Returns the new tag."""
        return self._backend.put_conditional(key, data, if_match)

    def write_json(self, key: str, payload: Any) -> None:
        self.put_bytes(key, json.dumps(payload, indent=2, sort_keys=True, default=str).encode())

    def read_json(self, key: str) -> Any:
        data = self.get_bytes(key)
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CorruptObjectError(self.uri(key), str(error)) from None

    def write_parquet(self, key: str, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        self.put_bytes(key, buffer.getvalue())

    def read_parquet(self, key: str) -> pa.Table:
        data = self.get_bytes(key)
        try:
            return pq.read_table(io.BytesIO(data))
        except (pa.ArrowInvalid, OSError) as error:
            raise CorruptObjectError(self.uri(key), str(error)) from None

    def read_contract(self, key: str, schema: pa.Schema, contract: str) -> pa.Table:
        """The Parquet object at `key` as the `contract` table: `schema`'s columns, in its order
        and types. `ContractError` names the object when a column is missing or does not fit;
        `CorruptObjectError` when it is not Parquet."""
        table = self.read_parquet(key)
        missing = [name for name in schema.names if name not in table.column_names]
        if missing:
            raise ContractError(
                f"{self.uri(key)}: missing column(s) {', '.join(missing)} of the {contract} "
                "contract"
            )
        try:
            return table.select(schema.names).cast(schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise ContractError(
                f"{self.uri(key)}: columns do not fit the {contract} contract ({error})"
            ) from None

    def parquet_keys(self, prefix: str) -> list[str]:
        return [key for key in self.list_keys(prefix) if key.endswith(".parquet")]

    def read_parquet_prefix(self, prefix: str, schema: pa.Schema | None = None) -> pa.Table:
        """Every Parquet object under `prefix`, concatenated (an empty table when none); with
        `schema`, each read as that contract (`read_contract`)."""
        keys = self.parquet_keys(prefix)
        if schema is None:
            if not keys:
                raise ObjectNotFoundError(self.uri(prefix))
            tables = [self.read_parquet(key) for key in keys]
        else:
            tables = [self.read_contract(key, schema, "data") for key in keys]
            if not tables:
                return schema.empty_table()
        return pa.concat_tables(tables, promote_options="default")
