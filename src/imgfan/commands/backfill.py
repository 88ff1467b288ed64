"""``imgfan backfill``: re-process source objects already in the bucket, e.g. after a presets push.

The CLI lists the source a page at a time, plans each page as the dispatcher would, and puts one
S3-shaped message per object to start on the pipeline's own event queue; the dispatcher does the
rest (its MaximumConcurrency, retries and DLQ), and the CLI may go away once the listing is done.
Executions are named from the object's ETag and the live presets hash, so repeating a backfill
meets ExecutionAlreadyExists in the dispatcher instead of rendering twice.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from imgfan.aws import add_cloud_arguments, add_presets_parameter_argument, attempting
from imgfan.backfill import (
    Checkpoint,
    CheckpointError,
    Counts,
    EnqueueFailed,
    QueueSender,
    RateLimiter,
    Run,
    Scope,
    count,
    counts_of,
    default_path,
    hand_over,
    plan_page,
    prune_marker,
    resume,
    save,
)
from imgfan.commands import CommandError
from imgfan.commands.progress import Progress
from imgfan.live import Stack, list_object_pages, read_presets
from imgfan_core.presets import presets_hash
from imgfan_core.stack_names import Output

DEFAULT_MAX_EXECUTIONS = 100
# Messages a second: below what a Standard workflow sustains at 5 presets (~185 uploads/s, and
# StartExecution's 300/s), so uploads keep flowing during a backfill (docs/capacity.md).
DEFAULT_RATE = 100
# What one dispatcher hands over a second on AWS (docs/capacity.md), and its default count.
RECORDS_PER_DISPATCHER_S = 35
DEFAULT_DISPATCHERS = 10
# The stack's default presetsCacheSeconds, when the dispatcher's environment cannot be read; and
# a margin for the difference between this machine's clock and AWS's.
DEFAULT_PRESETS_CACHE_S = 30
CLOCK_SKEW_S = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backfill", help="start executions for existing source objects (e.g. after 'presets push')"
    )
    parser.add_argument("--prefix", help="source key prefix (default: the live presets' source.prefix)")
    parser.add_argument(
        "--only-stale",
        action="store_true",
        help="skip objects whose manifest already has the live presets_hash (no manifest = stale)",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="re-render every image, even up-to-date ones, so that the variants of removed presets go "
             "(the finalizer keeps the previous generation, so they are gone after the second run)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would start; start nothing")
    parser.add_argument(
        "--max-executions",
        type=int,
        default=DEFAULT_MAX_EXECUTIONS,
        metavar="N",
        help=f"refuse to start more than N executions without --yes (default {DEFAULT_MAX_EXECUTIONS})",
    )
    parser.add_argument("--yes", action="store_true", help="start even more than --max-executions")
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, metavar="N",
        help=f"messages a second put on the event queue (default {DEFAULT_RATE}; 0: as fast as possible)",
    )
    parser.add_argument("--resume", action="store_true", help="continue where the checkpoint says a run stopped")
    parser.add_argument(
        "--checkpoint", type=Path, metavar="PATH",
        help="checkpoint file (default: $XDG_STATE_HOME/imgfan/backfill-<bucket>-<hash of prefix>.json)",
    )
    add_presets_parameter_argument(parser)
    add_cloud_arguments(parser)
    parser.set_defaults(handler=cmd_backfill)


def cmd_backfill(args: argparse.Namespace) -> int:
    _check_arguments(args)
    stack = Stack.from_args(args)
    scope = _scope(stack, args)
    run = Run(scope.source_bucket, scope.prefix, presets_hash(scope.config), _mode(args))
    path = args.checkpoint or default_path(scope.source_bucket, scope.prefix)
    start = _starting_point(path, run, args.resume)
    s3 = stack.client("s3")
    pages = partial(list_object_pages, s3, scope.source_bucket, scope.prefix, start.last_key)
    plan = partial(plan_page, s3, scope, only_stale=args.only_stale, marker=start.marker)
    if args.dry_run:
        _dry_run(pages(), plan, scope)
        return 0
    counting = partial(plan_page, s3, scope, only_stale=args.only_stale and not args.yes, marker=start.marker)
    expected = _count_first(pages(), counting, scope, args)
    if expected.enqueued == 0:
        _print_outcome(start.counts + expected)
        return 0
    _wait_for_dispatchers_presets(stack, stack.presets_parameter(args.parameter_name))
    queue_url = stack.output(Output.QUEUE_URL)
    sender = QueueSender(stack.client("sqs"), queue_url, RateLimiter(args.rate))
    save(path, start)
    handover = Handover(path, start, expected)
    finished = handover.run(partial(hand_over, pages(), plan, sender, stack.cloud.region, start))
    path.unlink(missing_ok=True)
    _print_outcome(finished.counts)
    _print_queue(stack, queue_url)
    if args.prune:
        print(
            "each image renders again once the dispatcher reaches its message; the variants its previous "
            "manifest named stay one more generation (pages may still show them), so a removed preset's "
            "variants go after the next render: run 'imgfan backfill --prune' again once pages have "
            "reloaded their manifests"
        )
    return 0


def _check_arguments(args: argparse.Namespace) -> None:
    if args.max_executions < 0:
        raise CommandError("--max-executions must be 0 or more")
    if args.rate < 0:
        raise CommandError("--rate must be 0 (no limit) or more messages a second")
    if args.prune and args.only_stale:
        raise CommandError("--prune re-renders every image; leave out --only-stale")


def _mode(args: argparse.Namespace) -> str:
    return "prune" if args.prune else "only-stale" if args.only_stale else "all"


def _scope(stack: Stack, args: argparse.Namespace) -> Scope:
    config = read_presets(stack.client("ssm"), stack.presets_parameter(args.parameter_name)).config
    prefix = config.source.prefix if args.prefix is None else args.prefix
    return Scope(config, stack.output(Output.SOURCE_BUCKET), stack.output(Output.OUTPUT_BUCKET), prefix)


def _wait_for_dispatchers_presets(stack: Stack, parameter: str) -> None:
    """Until warm dispatchers have re-read presets pushed moments ago: one still on the old ones
    would name a current image's execution as before and meet ExecutionAlreadyExists, so the
    image this backfill is for would silently not render."""
    with attempting(f"describing parameter {parameter}"):
        described = stack.client("ssm").describe_parameters(
            ParameterFilters=[{"Key": "Name", "Values": [parameter]}])["Parameters"]
    if not described:
        return
    cache_s = stack.presets_cache_seconds()
    cache_s = DEFAULT_PRESETS_CACHE_S if cache_s is None else cache_s
    pushed = described[0]["LastModifiedDate"].timestamp()
    wait = pushed + cache_s + CLOCK_SKEW_S - time.time()
    if wait > 0:
        print(f"waiting {wait:.0f} s: the dispatchers keep presets for {cache_s} s (presetsCacheSeconds), "
              "and these were pushed just now")
        time.sleep(wait)


def _starting_point(path: Path, run: Run, resuming: bool) -> Checkpoint:
    if resuming:
        try:
            start = resume(path, run)
        except CheckpointError as exc:
            raise CommandError(str(exc)) from None
        print(f"continuing after {start.last_key!r}: {start.counts.listed} objects listed and "
              f"{start.counts.enqueued} enqueued before ({path})")
        return start
    if path.exists():
        print(f"starting over: replacing the checkpoint of an unfinished run at {path} "
              "(--resume would have continued it)")
    if run.mode != "prune":
        return Checkpoint(run)
    marker = prune_marker(datetime.now(UTC))
    print(f"prune run {marker}: its executions get names of their own, so up-to-date images render again")
    return Checkpoint(run, marker)


def _summary(scope: Scope, counts: Counts, exact: bool = True) -> str:
    to_start = f"{counts.enqueued} executions to start" if exact else (
        f"up to {counts.enqueued} executions to start (--only-stale reads the manifests as it goes)")
    return (f"{scope.source}: {counts.listed} objects, {counts.filtered} filtered out, {counts.up_to_date} "
            f"up to date; {to_start} (presets_hash {presets_hash(scope.config)})")


def _dry_run(pages, plan, scope: Scope) -> None:
    total = Counts()
    for page in pages:
        planned = plan(page)
        for one in planned.to_start:
            print(f"would start {one.request.name}  {one.key}")
        for key, reason in planned.filtered.items():
            print(f"filtered {key}: {reason}")
        total += counts_of(planned)
    print(_summary(scope, total))


def _count_first(pages, plan, scope: Scope, args: argparse.Namespace) -> Counts:
    """Plan the whole listing once without handing anything over: the total for the ETA, and the
    --max-executions guard (which stops counting as soon as the limit is passed)."""
    progress = Progress()
    tally = count(pages, plan, lambda total: progress.update(f"counting: listed {total.listed} objects in "
                                                             f"{scope.source}"),
                  None if args.yes else args.max_executions)
    progress.done()
    exact = not (args.yes and args.only_stale)
    print(_summary(scope, tally.counts, exact))
    if not args.yes and tally.counts.enqueued > args.max_executions:
        at_least = "" if tally.complete else "at least "
        raise CommandError(
            f"{at_least}{tally.counts.enqueued} executions would start, more than --max-executions "
            f"{args.max_executions}; check with --dry-run, then pass --yes (or a larger --max-executions) "
            "to start them"
        )
    return tally.counts


class Handover:
    """Progress with an ETA and the checkpoint while pages go to the queue; if the run stops,
    it says how to continue it."""

    def __init__(self, path: Path, start: Checkpoint, expected: Counts):
        self.path, self.start, self.latest, self.expected = path, start, start, expected
        self.progress = Progress()
        self.began = time.monotonic()

    def run(self, work: Callable[[Callable[[Checkpoint], None]], Checkpoint]) -> Checkpoint:
        try:
            finished = work(self.page_done)
        except EnqueueFailed as exc:
            self.progress.done()
            raise CommandError(f"{exc}; {self._how_to_continue()}") from None
        except (ClientError, BotoCoreError, KeyboardInterrupt):
            self.progress.done()
            print(self._how_to_continue(), file=sys.stderr)
            raise
        self.progress.done()
        return finished

    def page_done(self, checkpoint: Checkpoint) -> None:
        save(self.path, checkpoint)
        self.latest = checkpoint
        listed = checkpoint.counts.listed - self.start.counts.listed
        enqueued = checkpoint.counts.enqueued - self.start.counts.enqueued
        elapsed = max(time.monotonic() - self.began, 1e-6)
        remaining = max(self.expected.listed - listed, 0)
        self.progress.update(f"listed {listed}/{self.expected.listed}, enqueued {enqueued} "
                             f"({enqueued / elapsed:.0f}/s), about {_duration(remaining * elapsed / listed)} left")

    def _how_to_continue(self) -> str:
        after = f"after {self.latest.last_key!r}" if self.latest.last_key else "from the beginning"
        return (f"stopped with {self.latest.counts.enqueued} message(s) enqueued; 'imgfan backfill --resume' "
                f"with the same options continues {after} (checkpoint {self.path})")


def _print_outcome(counts: Counts) -> None:
    print(f"considered {counts.listed}, skipped {counts.up_to_date} up to date and {counts.filtered} "
          f"filtered, enqueued {counts.enqueued}")


def _print_queue(stack: Stack, queue_url: str) -> None:
    """How many messages wait, and roughly how long the dispatchers take to hand them over."""
    with attempting(f"reading the attributes of {queue_url}"):
        attributes = stack.client("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "QueueArn"])["Attributes"]
    waiting = int(attributes["ApproximateNumberOfMessages"])
    dispatchers = _dispatchers(stack, attributes["QueueArn"])
    assumed = "" if dispatchers else " (assumed)"
    dispatchers = dispatchers or DEFAULT_DISPATCHERS
    seconds = waiting / (dispatchers * RECORDS_PER_DISPATCHER_S)
    print(f"{waiting} message(s) wait in the event queue: on AWS, {dispatchers} dispatchers{assumed} at "
          f"~{RECORDS_PER_DISPATCHER_S} records/s each hand them over in about {_duration(seconds)}; "
          "the renders follow at the pipeline's pace (docs/capacity.md)")
    if waiting:
        print("note: new uploads wait behind these messages in the same queue; "
              "a --rate below the pipeline's capacity lets them interleave")


def _dispatchers(stack: Stack, queue_arn: str) -> int | None:
    """The event source's MaximumConcurrency (dispatcherMaxConcurrency); None if it cannot be read."""
    try:
        mappings = stack.client("lambda").list_event_source_mappings(EventSourceArn=queue_arn)
    except (ClientError, BotoCoreError):
        return None
    for mapping in mappings.get("EventSourceMappings", []):
        concurrency = (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if concurrency:
            return int(concurrency)
    return None


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
