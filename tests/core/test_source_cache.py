"""What the resizer's per-sandbox source cache keeps: pinned revisions only, within its byte budget."""

from imgfan_core.contract import SourceRef
from imgfan_core.source_cache import SourceCache
from imgfan_core.storage import SourceObject


def ref(key: str, version_id: str | None = None, etag: str | None = "e") -> SourceRef:
    return SourceRef("bucket", key, version_id, etag)


def blob(size: int) -> SourceObject:
    return SourceObject(b"x" * size)


def test_an_unpinned_read_is_never_cached():
    cache = SourceCache(100)
    cache.put(ref("a.jpg", etag=None), blob(10))
    assert cache.get(ref("a.jpg", etag=None)) is None and len(cache) == 0


def test_a_version_id_pins_the_bytes_whatever_etag_the_event_carried():
    cache = SourceCache(100)
    cache.put(ref("a.jpg", version_id="v1", etag="e1"), blob(10))
    assert cache.get(ref("a.jpg", version_id="v1", etag="other")) is not None
    assert cache.get(ref("a.jpg", version_id="v2", etag="e1")) is None


def test_the_least_recently_used_go_first_when_over_budget():
    cache = SourceCache(100)
    cache.put(ref("a.jpg"), blob(40))
    cache.put(ref("b.jpg"), blob(40))
    cache.get(ref("a.jpg"))  # a is now the most recent
    cache.put(ref("c.jpg"), blob(40))
    assert [cache.get(ref(k)) is not None for k in ("a.jpg", "b.jpg", "c.jpg")] == [True, False, True]


def test_an_object_larger_than_the_whole_budget_is_not_kept():
    cache = SourceCache(100)
    cache.put(ref("a.jpg"), blob(10))
    cache.put(ref("huge.jpg"), blob(101))
    assert cache.get(ref("huge.jpg")) is None and cache.get(ref("a.jpg")) is not None
