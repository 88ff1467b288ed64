"""Source objects a warm sandbox already read, so the next invocation on the same image skips S3.

A Map runs one resizer invocation per preset, and each reads the same source. Only reads pinned
to one revision are cached (a version id, or an ETag that S3 enforces with If-Match): those bytes
can never change, so a hit returns exactly what the GET would have. If the object was replaced or
deleted meanwhile, the GET would have failed with SourceSuperseded or SourceMissing; a hit renders
the old bytes instead, and the finalizer's check of the source before it publishes
(``publish.superseded_because``) refuses them just the same.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from imgfan_core.contract import SourceRef

CacheKey = tuple[str, str, str | None, str | None]


class Cacheable(Protocol):
    """What the cache needs of an entry (``storage.SourceObject``): its bytes, to count them."""

    @property
    def data(self) -> bytes: ...


Entry = TypeVar("Entry", bound=Cacheable)


def cache_key(source: SourceRef) -> CacheKey | None:
    """The identity of the bytes a read of ``source`` returns, or None when it is not pinned."""
    if not (source.version_id or source.etag):
        return None
    return source.bucket, source.key, source.version_id, None if source.version_id else source.etag


class SourceCache(Generic[Entry]):
    """Least recently used source objects, at most ``max_bytes`` of them in all.

    Generic in what it keeps, so that ``storage``, which reads through it, is the only one of the
    two modules that imports the other."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, Entry] = OrderedDict()
        self._size = 0

    def get(self, source: SourceRef) -> Entry | None:
        key = cache_key(source)
        found = self._entries.get(key) if key else None
        if key is not None and found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, source: SourceRef, found: Entry) -> None:
        key = cache_key(source)
        if key is None or key in self._entries or len(found.data) > self.max_bytes:
            return
        self._entries[key] = found
        self._size += len(found.data)
        while self._size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._size -= len(evicted.data)

    def __len__(self) -> int:
        return len(self._entries)
