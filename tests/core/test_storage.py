"""S3 reads and writes against a real moto server over HTTP, and how S3 errors are classified.

What the classification decides: a permanent error is written into the manifest once, a transient
one is retried by the state machine, anything else surfaces as the ClientError botocore raised.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from imgfan.local.cloud import free_port
from imgfan_core import storage
from imgfan_core.contract import SourceRef
from imgfan_core.errors import ImageTooLarge, InvalidOverlay, SourceMissing, TransientError
from imgfan_core.source_cache import SourceCache


def source(bucket: str, key: str, version_id: str | None = None) -> SourceRef:
    return SourceRef(bucket, key, version_id)


@pytest.fixture
def versioned_bucket(s3, bucket) -> str:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def test_read_source_returns_the_object_bytes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="photos/a.jpg", Body=b"\xff\xd8 jpeg bytes")
    assert storage.read_source(s3, source(bucket, "photos/a.jpg"), max_bytes=1000).data == b"\xff\xd8 jpeg bytes"


def test_a_missing_key_is_source_missing_naming_the_object(s3, bucket):
    with pytest.raises(SourceMissing, match=f"^s3://{bucket}/photos/gone.jpg does not exist"):
        storage.read_source(s3, source(bucket, "photos/gone.jpg"), max_bytes=1000)


def test_a_missing_version_is_source_missing(s3, versioned_bucket):
    old = s3.put_object(Bucket=versioned_bucket, Key="a.jpg", Body=b"old")["VersionId"]
    s3.put_object(Bucket=versioned_bucket, Key="a.jpg", Body=b"new")
    s3.delete_object(Bucket=versioned_bucket, Key="a.jpg", VersionId=old)
    with pytest.raises(SourceMissing, match=f"^s3://{versioned_bucket}/a.jpg does not exist"):
        storage.read_source(s3, source(versioned_bucket, "a.jpg", old), max_bytes=1000)


def test_the_version_id_is_honoured(s3, versioned_bucket):
    old = s3.put_object(Bucket=versioned_bucket, Key="a.jpg", Body=b"first upload")["VersionId"]
    new = s3.put_object(Bucket=versioned_bucket, Key="a.jpg", Body=b"second upload")["VersionId"]
    assert storage.read_source(s3, source(versioned_bucket, "a.jpg", old), 1000).data == b"first upload"
    assert storage.read_source(s3, source(versioned_bucket, "a.jpg", new), 1000).data == b"second upload"
    assert storage.read_source(s3, source(versioned_bucket, "a.jpg"), 1000).data == b"second upload"


def test_an_object_over_the_byte_limit_is_refused_naming_the_setting(s3, bucket):
    s3.put_object(Bucket=bucket, Key="big.jpg", Body=b"x" * 2001)
    with pytest.raises(ImageTooLarge) as refused:
        storage.read_source(s3, source(bucket, "big.jpg"), max_bytes=2000)
    assert str(refused.value) == "source is 2,001 bytes, over the limit of 2,000 (limits.max_input_bytes)"


def test_an_object_of_exactly_the_byte_limit_is_read(s3, bucket):
    s3.put_object(Bucket=bucket, Key="edge.jpg", Body=b"x" * 2000)
    assert len(storage.read_source(s3, source(bucket, "edge.jpg"), max_bytes=2000).data) == 2000


def test_write_object_sets_the_body_content_type_and_cache_control(s3, bucket):
    storage.write_object(s3, bucket, "out/a.jpg/thumb.webp", b"RIFF....WEBP", "image/webp",
                         "public, max-age=31536000, immutable")
    written = s3.get_object(Bucket=bucket, Key="out/a.jpg/thumb.webp")
    assert written["Body"].read() == b"RIFF....WEBP"
    assert written["ContentType"] == "image/webp"
    assert written["CacheControl"] == "public, max-age=31536000, immutable"


def test_an_unreachable_endpoint_is_transient(bucket):
    # Nothing listens on a fresh free port: the connection is refused at once, no waiting.
    closed = boto3.client(
        "s3", endpoint_url=f"http://127.0.0.1:{free_port()}", region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    with pytest.raises(TransientError, match=f"^s3://{bucket}/a.jpg: "):
        storage.read_source(closed, source(bucket, "a.jpg"), max_bytes=1000)


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} from S3"}}, "GetObject")


@pytest.mark.parametrize("code", ["NoSuchKey", "NoSuchVersion", "404", "NotFound"])
def test_missing_object_codes_are_missing_without_asking_s3(code):
    # No client: these codes settle it without a listing.
    assert storage.missing(None, client_error(code), "b", "k")


@pytest.mark.parametrize("code", ["PreconditionFailed", "SlowDown", "NoSuchBucket", "InvalidObjectState"])
def test_other_codes_are_not_missing_without_asking_s3(code):
    assert not storage.missing(None, client_error(code), "b", "k")


@pytest.mark.parametrize(
    "code", ["SlowDown", "503", "500", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError"]
)
def test_throttling_and_server_errors_are_transient(code):
    classified = storage._classify_source_error(client_error(code), "s3://b/k")
    assert type(classified) is TransientError and str(classified) == f"s3://b/k: S3 {code}, will retry"


@pytest.mark.parametrize("code", ["AccessDenied", "NoSuchBucket", "InvalidObjectState"])
def test_other_client_errors_stay_as_botocore_raised_them(code):
    error = client_error(code)
    assert storage._classify_source_error(error, "s3://b/k") is error


def test_connection_failures_are_transient():
    classified = storage._classify_source_error(EndpointConnectionError(endpoint_url="http://s3"), "s3://b/k")
    assert type(classified) is TransientError and str(classified).startswith("s3://b/k: ")


def test_list_folder_sees_direct_children_only_and_delete_keys_removes_them_in_batches(s3, bucket):
    folder = "v/a.jpg/"
    for name in ("thumb.1.webp", "manifest.json", "inner.jpg/manifest.json"):
        s3.put_object(Bucket=bucket, Key=folder + name, Body=b"x")
    s3.put_object(Bucket=bucket, Key="v/a.jpg.other/x.webp", Body=b"x")
    entries = storage.list_folder(s3, bucket, folder)
    assert sorted(e["Key"] for e in entries) == [folder + "manifest.json", folder + "thumb.1.webp"]
    assert all("LastModified" in e for e in entries)
    storage.delete_keys(s3, bucket, [e["Key"] for e in entries])
    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(remaining) == sorted([folder + "inner.jpg/manifest.json", "v/a.jpg.other/x.webp"])


def test_read_source_returns_the_user_metadata_with_the_bytes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="f.jpg", Body=b"x", Metadata={"focus": "0.2,0.8"})
    assert storage.read_source(s3, source(bucket, "f.jpg"), 10).metadata == {"focus": "0.2,0.8"}


def test_a_missing_overlay_is_the_presets_mistake_not_a_transient_one(s3, bucket):
    with pytest.raises(InvalidOverlay, match="does not exist"):
        storage.read_overlay(s3, bucket, "logos/missing.png", 1000)
    s3.put_object(Bucket=bucket, Key="logos/brand.png", Body=b"png")
    assert storage.read_overlay(s3, bucket, "logos/brand.png", 1000) == b"png"


# ---- the resizer's per-sandbox cache of sources --------------------------------------------------


def test_a_second_read_of_the_same_revision_comes_from_the_cache(s3, versioned_bucket):
    version = s3.put_object(Bucket=versioned_bucket, Key="a.jpg", Body=b"first", Metadata={"focus": "0.5,0.5"})["VersionId"]
    cache = SourceCache(max_bytes=1000)
    first = storage.read_source(s3, source(versioned_bucket, "a.jpg", version), 1000, cache)
    # Gone from S3: only a cache hit can still return it.
    s3.delete_object(Bucket=versioned_bucket, Key="a.jpg", VersionId=version)
    again = storage.read_source(s3, source(versioned_bucket, "a.jpg", version), 1000, cache)
    assert (again.data, again.metadata) == (b"first", {"focus": "0.5,0.5"}) == (first.data, first.metadata)


def test_another_revision_of_the_key_is_read_from_s3(s3, bucket):
    etag_old = s3.put_object(Bucket=bucket, Key="a.jpg", Body=b"old")["ETag"].strip('"')
    cache = SourceCache(max_bytes=1000)
    storage.read_source(s3, SourceRef(bucket, "a.jpg", etag=etag_old), 1000, cache)
    etag_new = s3.put_object(Bucket=bucket, Key="a.jpg", Body=b"newer")["ETag"].strip('"')
    assert storage.read_source(s3, SourceRef(bucket, "a.jpg", etag=etag_new), 1000, cache).data == b"newer"


def test_a_cached_source_over_this_executions_limit_is_still_refused(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="a.jpg", Body=b"x" * 500)["ETag"].strip('"')
    cache = SourceCache(max_bytes=1000)
    storage.read_source(s3, SourceRef(bucket, "a.jpg", etag=etag), 1000, cache)
    with pytest.raises(ImageTooLarge, match="500 bytes, over the limit of 100"):
        storage.read_source(s3, SourceRef(bucket, "a.jpg", etag=etag), 100, cache)


# ---- a missing key answered 403 (a caller without s3:ListBucket), settled by a listing --------------
# moto answers 403 to any request a bucket policy denies, whether the key exists or not: the same
# answer S3 gives a caller without s3:ListBucket for a missing key, and for a real denial.


def deny(s3, bucket: str, actions: list[str], keys: str) -> None:
    statement = {"Effect": "Deny", "Principal": "*", "Action": actions, "Resource": f"arn:aws:s3:::{bucket}/{keys}"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


def status_of(call) -> int:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def reads_denied(s3, bucket) -> str:
    """Reads under photos/ answer 403 whether the key is there or not; moto's HEAD action is its own."""
    s3.put_object(Bucket=bucket, Key="photos/here.jpg", Body=b"jpeg")
    # Keys that begin with the missing one's name: a listing under Prefix=key returns them.
    s3.put_object(Bucket=bucket, Key="photos/gone.jpg.bak", Body=b"x")
    s3.put_object(Bucket=bucket, Key="photos/gone.jpg/inner.jpg", Body=b"x")
    deny(s3, bucket, ["s3:GetObject", "s3:HeadObject"], "photos/*")
    assert status_of(lambda: s3.get_object(Bucket=bucket, Key="photos/gone.jpg")) == 403
    assert status_of(lambda: s3.head_object(Bucket=bucket, Key="photos/gone.jpg")) == 403
    return bucket


def test_a_missing_source_answered_403_is_source_missing(s3, reads_denied):
    with pytest.raises(SourceMissing, match=f"^s3://{reads_denied}/photos/gone.jpg does not exist"):
        storage.read_source(s3, source(reads_denied, "photos/gone.jpg"), max_bytes=1000)
    assert storage.source_state(s3, reads_denied, "photos/gone.jpg") == storage.SourceState(exists=False)


def test_a_403_for_a_key_that_is_listed_is_a_real_denial_and_stands(s3, reads_denied):
    with pytest.raises(ClientError) as raised:
        storage.read_source(s3, source(reads_denied, "photos/here.jpg"), max_bytes=1000)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError):
        storage.source_state(s3, reads_denied, "photos/here.jpg")
    with pytest.raises(ClientError):
        storage.read_overlay(s3, reads_denied, "photos/here.jpg", 1000)


def test_a_missing_overlay_answered_403_is_still_the_presets_mistake(s3, reads_denied):
    with pytest.raises(InvalidOverlay, match="does not exist"):
        storage.read_overlay(s3, reads_denied, "photos/gone.jpg", 1000)


# ---- DeleteObjects reports the keys it could not delete ----------------------------------------------


def test_keys_delete_objects_could_not_delete_are_a_transient_error_naming_them(s3, bucket):
    keys = [f"v/a.jpg/{name}" for name in ("thumb.1.webp", "locked.webp", "card.1.jpg")]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    # A bucket policy that denies deleting one key: DeleteObjects answers 200 with that key in Errors.
    deny(s3, bucket, ["s3:DeleteObject"], "v/a.jpg/locked.webp")
    with pytest.raises(TransientError) as raised:
        storage.delete_keys(s3, bucket, keys)
    assert str(raised.value) == (f"s3://{bucket}: DeleteObjects could not delete 1 of 3 keys: "
                                 "v/a.jpg/locked.webp (AccessDenied)")
    # The others are gone all the same.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["v/a.jpg/locked.webp"]
