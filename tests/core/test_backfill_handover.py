"""The pieces of a backfill's hand-over: the rate limiter (on a fake clock), the sender's retries
of refused entries, and the checkpoint file."""

from __future__ import annotations

import json

import pytest

from imgfan.backfill import (
    Checkpoint,
    CheckpointError,
    Counts,
    EnqueueFailed,
    QueueSender,
    RateLimiter,
    Run,
    default_path,
    resume,
    save,
)
from imgfan.backfill import sender as sender_module


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_rate_limiter_lets_a_first_second_through_then_holds_the_rate():
    clock = FakeClock()
    limiter = RateLimiter(20, clock=clock, sleep=clock.sleep)
    for _ in range(2):  # the bucket starts with one second's worth: 20 messages
        limiter.acquire(10)
    assert clock.slept == []
    for _ in range(6):  # 60 more messages at 20/s: 3 seconds, in steps of half a second
        limiter.acquire(10)
    assert clock.slept == [0.5] * 6
    assert clock.now == 1003.0


def test_the_rate_limiter_counts_time_that_passed_between_batches():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.acquire(10)
    clock.now += 0.4  # 4 tokens came back on their own
    limiter.acquire(10)
    assert clock.slept == [pytest.approx(0.6)]


def test_a_slow_rate_still_sends_whole_batches_and_rate_0_never_waits():
    clock = FakeClock()
    slow = RateLimiter(2, clock=clock, sleep=clock.sleep)
    slow.acquire(10)
    slow.acquire(10)
    assert clock.slept == [5.0]
    unlimited = RateLimiter(0, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        unlimited.acquire(10)
    assert clock.slept == [5.0]


def queue(aws, name: str) -> str:
    return aws("sqs").create_queue(QueueName=name)["QueueUrl"]


def received(aws, url: str) -> list[str]:
    bodies = []
    while messages := aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                 VisibilityTimeout=60).get("Messages", []):
        bodies += [m["Body"] for m in messages]
    return bodies


def test_the_sender_puts_every_body_on_the_queue_in_batches_of_ten(aws, monkeypatch):
    url = queue(aws, "sender-batches")
    calls = []
    real = sender_module.send_message_batch
    monkeypatch.setattr(sender_module, "send_message_batch",
                        lambda sqs, queue_url, entries: calls.append(len(entries)) or real(sqs, queue_url, entries))
    bodies = [f"message {i}" for i in range(23)]
    QueueSender(aws("sqs"), url, RateLimiter(0)).send(bodies)
    assert calls == [10, 10, 3]
    assert sorted(received(aws, url)) == sorted(bodies)


def refusing(times: int, code: str = "InternalError", sender_fault: bool = False):
    """A SendMessageBatch double that refuses the first entry of each call, ``times`` times."""
    real = sender_module.send_message_batch
    state = {"left": times}

    def send(sqs, queue_url, entries):
        if state["left"] <= 0:
            return real(sqs, queue_url, entries)
        state["left"] -= 1
        answer = real(sqs, queue_url, entries[1:]) if len(entries) > 1 else {"Successful": []}
        answer["Failed"] = [{"Id": entries[0]["Id"], "SenderFault": sender_fault, "Code": code, "Message": "no"}]
        return answer

    return send


def test_refused_entries_are_sent_again_with_backoff(aws, monkeypatch):
    url = queue(aws, "sender-retries")
    monkeypatch.setattr(sender_module, "send_message_batch", refusing(2))
    slept = []
    bodies = [f"message {i}" for i in range(5)]
    QueueSender(aws("sqs"), url, RateLimiter(0), sleep=slept.append).send(bodies)
    assert sorted(received(aws, url)) == sorted(bodies)  # nothing lost, nothing twice
    assert slept == [0.2, 0.4]


def test_entries_refused_every_time_stop_the_sender_with_the_reason(aws, monkeypatch):
    url = queue(aws, "sender-gives-up")
    monkeypatch.setattr(sender_module, "send_message_batch", refusing(99, code="KMS.ThrottlingException"))
    with pytest.raises(EnqueueFailed) as raised:
        QueueSender(aws("sqs"), url, RateLimiter(0), sleep=lambda s: None, attempts=3).send(["a", "b"])
    assert str(raised.value) == f"{url} refused 1 message(s) after 3 attempt(s) (KMS.ThrottlingException: no)"


def test_a_fault_of_the_senders_own_is_not_retried(aws, monkeypatch):
    url = queue(aws, "sender-fault")
    monkeypatch.setattr(sender_module, "send_message_batch", refusing(99, code="InvalidMessageContents",
                                                                    sender_fault=True))
    with pytest.raises(EnqueueFailed, match=r"after 1 attempt\(s\) \(InvalidMessageContents"):
        QueueSender(aws("sqs"), url, RateLimiter(0), sleep=lambda s: pytest.fail("slept")).send(["a"])


RUN = Run("src-bucket", "photos/", "abc123", "all")


def test_a_checkpoint_is_written_whole_and_read_back(tmp_path):
    path = tmp_path / "state" / "backfill.json"
    checkpoint = Checkpoint(RUN).after_page("photos/0999.jpg", Counts(1000, 990, 0, 10))
    save(path, checkpoint)
    assert json.loads(path.read_text())["last_key"] == "photos/0999.jpg"
    assert [p.name for p in path.parent.iterdir()] == ["backfill.json"]  # no temporary file left
    assert resume(path, RUN) == checkpoint
    after_two = resume(path, RUN).after_page("photos/1999.jpg", Counts(1000, 1000, 0, 0))
    assert after_two.counts == Counts(2000, 1990, 0, 10)


@pytest.mark.parametrize("other, named", [
    (Run("src-bucket", "other/", "abc123", "all"), "prefix 'photos/' there, 'other/' now"),
    (Run("src-bucket", "photos/", "def456", "all"), "presets_hash 'abc123' there, 'def456' now"),
    (Run("another", "photos/", "abc123", "all"), "bucket 'src-bucket' there, 'another' now"),
    (Run("src-bucket", "photos/", "abc123", "prune"), "mode 'all' there, 'prune' now"),
])
def test_a_checkpoint_of_another_run_is_refused_with_what_differs(tmp_path, other, named):
    path = tmp_path / "backfill.json"
    save(path, Checkpoint(RUN))
    with pytest.raises(CheckpointError) as raised:
        resume(path, other)
    message = str(raised.value)
    assert named in message and "leave out --resume to start over, or delete" in message
    assert "\n" not in message


def test_a_missing_or_broken_checkpoint_says_what_to_do(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at .*: leave out --resume"):
        resume(tmp_path / "none.json", RUN)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(CheckpointError, match="is unreadable .*: delete it, or leave out --resume"):
        resume(broken, RUN)


def test_the_default_checkpoint_is_per_bucket_and_prefix_in_the_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = default_path("src-bucket", "photos/")
    assert path.parent == tmp_path / "imgfan"
    assert path.name.startswith("backfill-src-bucket-") and path.suffix == ".json"
    assert default_path("src-bucket", "photos/") == path
    assert default_path("src-bucket", "other/") != path
