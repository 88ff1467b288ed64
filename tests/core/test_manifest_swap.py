"""The manifest's compare-and-swap against a real moto server over HTTP: what a lost swap is."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from imgfan_core import publish

KEY = "v/a.jpg/manifest.json"


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_manifest_deleted_between_the_read_and_the_put_is_a_lost_swap(s3, bucket):
    s3.put_object(Bucket=bucket, Key=KEY, Body=b'{"generation": 1}')
    _, etag = publish._read_manifest(s3, bucket, KEY)
    s3.delete_object(Bucket=bucket, Key=KEY)  # a cleaner, meanwhile
    # What S3 answers then (conditional-writes.html), and moto too: 404, not 412.
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key=KEY, Body=b"{}", IfMatch=etag)) == ("NoSuchKey", 404)
    assert publish._put_if_unchanged(s3, bucket, KEY, b'{"generation": 2}', etag) is False
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0, "a lost swap writes nothing"


def test_a_manifest_replaced_between_the_read_and_the_put_is_a_lost_swap(s3, bucket):
    s3.put_object(Bucket=bucket, Key=KEY, Body=b'{"generation": 1}')
    _, etag = publish._read_manifest(s3, bucket, KEY)
    s3.put_object(Bucket=bucket, Key=KEY, Body=b'{"generation": "another finalizer"}')
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key=KEY, Body=b"{}", IfMatch=etag))[1] == 412
    assert publish._put_if_unchanged(s3, bucket, KEY, b'{"generation": 2}', etag) is False
    assert json.loads(s3.get_object(Bucket=bucket, Key=KEY)["Body"].read()) == {"generation": "another finalizer"}


def test_an_unchanged_manifest_is_swapped_and_a_first_one_is_created(s3, bucket):
    assert publish._read_manifest(s3, bucket, KEY) == (None, None)
    assert publish._put_if_unchanged(s3, bucket, KEY, b'{"generation": 1}', None) is True
    document, etag = publish._read_manifest(s3, bucket, KEY)
    assert document == {"generation": 1}
    assert publish._put_if_unchanged(s3, bucket, KEY, b'{"generation": 2}', etag) is True
    assert publish._read_manifest(s3, bucket, KEY)[0] == {"generation": 2}


def test_a_first_manifest_read_answered_403_is_no_manifest_yet(s3, bucket):
    # A bucket policy's denial: moto answers 403 whether the key exists or not, as S3 answers a
    # caller without s3:ListBucket for a missing key.
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/v/*"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key=KEY))[1] == 403
    assert publish._read_manifest(s3, bucket, KEY) == (None, None)
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"{}")
    with pytest.raises(ClientError):  # there, yet denied: a real denial
        publish._read_manifest(s3, bucket, KEY)
