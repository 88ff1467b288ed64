"""``imgfan backfill`` over a listing of more than one ListObjectsV2 page, through the CLI against
a bare moto server over HTTP: a stack of just the buckets, the event queue and the presets
parameter, and nothing consuming the queue, so every message the CLI enqueued can be read back.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote_plus

import pytest

import imgfan.backfill.sender as sender_module
import imgfan.commands.backfill as command
from imgfan.live import list_object_pages

# moto's state is per process: the session's embedded cloud may hold a stack called Imgfan.
STACK = "ImgfanBackfillPages"
PRESETS = {"source": {"prefix": "", "suffixes": [".jpg"]}, "presets": [{"name": "thumb", "width": 16}]}
TEMPLATE = {
    "Resources": {
        "Source": {"Type": "AWS::S3::Bucket"},
        "Output": {"Type": "AWS::S3::Bucket"},
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Presets": {"Type": "AWS::SSM::Parameter",
                    "Properties": {"Name": "/imgfan-backfill-pages/presets", "Type": "String", "Value": json.dumps(PRESETS)}},
    },
    "Outputs": {
        "SourceBucketName": {"Value": {"Ref": "Source"}},
        "OutputBucketName": {"Value": {"Ref": "Output"}},
        "QueueUrl": {"Value": {"Ref": "Queue"}},
        "PresetsParameterName": {"Value": {"Ref": "Presets"}},
    },
}
PREFIX = "many/"
# More than S3's 1,000 keys a page; the .txt objects are listed but filtered out.
IMAGES = [f"{PREFIX}{i:05d} photo+{i}.jpg" for i in range(1150)]
NOTES = [f"{PREFIX}{i:05d}.txt" for i in range(0, 1150, 100)]
PAGE_SIZE = 1000


@pytest.fixture(scope="module")
def bare_stack(moto_endpoint, aws):
    cloudformation = aws("cloudformation")
    cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]}
    s3 = aws("s3")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=outputs["SourceBucketName"], Key=key, Body=b"x"),
                      IMAGES + NOTES))
    return outputs


@pytest.fixture(scope="module")
def aws(moto_endpoint):
    import boto3

    return lambda service: boto3.client(service, endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def backfill(moto_endpoint, bare_stack, aws, tmp_path, monkeypatch, capsys):
    """Run ``imgfan backfill`` against the bare stack with an empty queue; (code, out, err)."""
    from imgfan.cli import main

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    moto_queue(bare_stack["QueueUrl"])._messages.clear()

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["backfill", "--endpoint-url", moto_endpoint, "--stack-name", STACK, *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def moto_queue(queue_url: str):
    """The queue in the moto server's own state (it runs in this process): its ReceiveMessage
    scans the whole queue per call (over two minutes for 1,150 messages), and PurgeQueue is
    allowed once a minute."""
    from moto.sqs.models import sqs_backends

    account, name = queue_url.rsplit("/", 2)[-2:]
    return sqs_backends[account]["us-east-1"].get_queue(name)


def enqueued_keys(queue_url: str) -> list[str]:
    """The source keys of every message in the queue, oldest first."""
    keys = []
    for message in moto_queue(queue_url)._messages:
        [record] = json.loads(message.body)["Records"]
        assert record["eventName"] == "ObjectCreated:Backfill"
        keys.append(unquote_plus(record["s3"]["object"]["key"]))
    return keys


def depth(aws, queue_url: str) -> int:
    attributes = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_every_key_of_a_multi_page_listing_is_enqueued_once_a_page_at_a_time(backfill, bare_stack, aws,
                                                                             monkeypatch, tmp_path):
    queue_url, checkpoint = bare_stack["QueueUrl"], tmp_path / "checkpoint.json"
    # When the hand-over asks for the next page, the previous one must already be on the queue
    # and in the checkpoint: the CLI never holds more than the page it works on.
    seen_at_each_page: list[tuple[int, str | None]] = []

    def watched_pages(*args, **kwargs):
        for page in list_object_pages(*args, **kwargs):
            saved = json.loads(checkpoint.read_text())["last_key"] if checkpoint.exists() else None
            seen_at_each_page.append((depth(aws, queue_url), saved))
            yield page

    monkeypatch.setattr(command, "list_object_pages", watched_pages)
    code, out, err = backfill("--prefix", PREFIX, "--yes", "--rate", "0", "--checkpoint", str(checkpoint))
    assert code == 0, err
    listed = len(IMAGES) + len(NOTES)
    assert f"{listed} objects, {len(NOTES)} filtered out, 0 up to date; {len(IMAGES)} executions to start" in out
    assert f"considered {listed}, skipped 0 up to date and {len(NOTES)} filtered, enqueued {len(IMAGES)}" in out
    assert f"{len(IMAGES)} message(s) wait in the event queue" in out
    assert "new uploads wait behind these messages" in out

    all_keys = sorted(IMAGES + NOTES)
    first_page_images = [k for k in all_keys[:PAGE_SIZE] if k.endswith(".jpg")]
    counting, handing_over = seen_at_each_page[:2], seen_at_each_page[2:]
    assert counting == [(0, None), (0, None)]  # the counting pass enqueues nothing
    assert handing_over == [(0, None), (len(first_page_images), all_keys[PAGE_SIZE - 1])]
    keys = enqueued_keys(queue_url)
    assert sorted(keys) == sorted(IMAGES)
    assert not checkpoint.exists()  # a finished run leaves nothing to resume


def test_an_interrupted_backfill_resumes_after_the_last_page_handed_over(backfill, bare_stack, aws, monkeypatch,
                                                                         tmp_path):
    queue_url, checkpoint = bare_stack["QueueUrl"], tmp_path / "checkpoint.json"
    all_keys = sorted(IMAGES + NOTES)
    first_page_images = [k for k in all_keys[:PAGE_SIZE] if k.endswith(".jpg")]
    real_send = sender_module.send_message_batch
    calls = {"n": 0}

    def refusing_after_the_first_page(sqs, url, entries):
        calls["n"] += 1
        if calls["n"] <= -(-len(first_page_images) // 10):  # the first page's batches go through
            return real_send(sqs, url, entries)
        return {"Successful": [], "Failed": [{"Id": e["Id"], "SenderFault": False, "Code": "ServiceUnavailable",
                                              "Message": "injected"} for e in entries]}

    monkeypatch.setattr(sender_module, "send_message_batch", refusing_after_the_first_page)
    monkeypatch.setattr(sender_module, "FIRST_BACKOFF_S", 0.01)
    code, out, err = backfill("--prefix", PREFIX, "--yes", "--rate", "0", "--checkpoint", str(checkpoint))
    last_of_page_1 = all_keys[PAGE_SIZE - 1]
    assert code == 1
    assert "refused 10 message(s) after 5 attempt(s) (ServiceUnavailable: injected)" in err
    assert f"'imgfan backfill --resume' with the same options continues after {last_of_page_1!r}" in err
    assert json.loads(checkpoint.read_text())["last_key"] == last_of_page_1
    first_run = enqueued_keys(queue_url)
    assert sorted(first_run) == first_page_images

    # Another prefix (or other presets) cannot continue this checkpoint.
    code, out, err = backfill("--prefix", "other/", "--resume", "--yes", "--checkpoint", str(checkpoint))
    assert code == 1
    assert err.count("\n") == 1
    assert f"checkpoint {checkpoint} is for another run (prefix 'many/' there, 'other/' now)" in err
    assert f"leave out --resume to start over, or delete {checkpoint}" in err

    monkeypatch.setattr(sender_module, "send_message_batch", real_send)
    code, out, err = backfill("--prefix", PREFIX, "--resume", "--yes", "--rate", "0", "--checkpoint", str(checkpoint))
    assert code == 0, err
    assert f"continuing after {last_of_page_1!r}" in out
    assert f"enqueued {len(IMAGES)}" in out  # the counts carry over from the interrupted run
    # Page 1 went over whole before the failure and page 2 not at all: each key is there once.
    assert sorted(enqueued_keys(queue_url)) == sorted(IMAGES)


def test_a_dry_run_and_a_refused_run_enqueue_nothing(backfill, bare_stack, aws):
    code, out, err = backfill("--prefix", PREFIX, "--dry-run")
    assert code == 0, err
    assert out.count("would start render-") == len(IMAGES)
    assert out.count("\nfiltered ") == len(NOTES)
    code, out, err = backfill("--prefix", PREFIX)
    assert code == 1
    assert "at least " in err and "more than --max-executions 100" in err
    assert depth(aws, bare_stack["QueueUrl"]) == 0
