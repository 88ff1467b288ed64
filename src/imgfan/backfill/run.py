"""One backfill run over a source prefix, a ListObjectsV2 page at a time: count, then hand over.

Only one page of the listing (and, for --only-stale, of its manifests) is held at any moment.
A page counts as handed over once every message of it is on the queue; only then does the
checkpoint move past it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imgfan.backfill.checkpoint import Checkpoint, Counts
from imgfan.backfill.planning import BackfillPlan, Planned, plan_backfill, without_current
from imgfan.backfill.sender import QueueSender, message_body
from imgfan.live import presets_hashes
from imgfan_core.presets import PresetsConfig

Page = list[dict[str, Any]]


@dataclass(frozen=True)
class Scope:
    """What one backfill looks at: the live presets, the stack's buckets and a source prefix."""

    config: PresetsConfig
    source_bucket: str
    output_bucket: str
    prefix: str

    @property
    def source(self) -> str:
        return f"s3://{self.source_bucket}/{self.prefix}"


def prune_marker(now: datetime) -> str:
    """Stands in for the event sequencer in --prune's executions: new names on every prune run."""
    return f"prune@{now.isoformat()}"


def plan_page(s3: Any, scope: Scope, page: Page, only_stale: bool, marker: str = "") -> BackfillPlan:
    """Plan one listed page; with ``only_stale``, read the manifests of this page's objects only."""
    plan = plan_backfill(page, scope.config, scope.source_bucket, scope.output_bucket, None, marker)
    if only_stale:
        plan = without_current(plan, _manifest_hashes(s3, plan.to_start))
    return plan


def _manifest_hashes(s3: Any, planned: list[Planned]) -> dict[str, str | None]:
    """The presets hash in each of these objects' manifests: one GET each, never a listing of the
    whole output."""
    keys_by_bucket: dict[str, list[str]] = defaultdict(list)
    for one in planned:
        bucket, key = one.manifest
        keys_by_bucket[bucket].append(key)
    hashes: dict[str, str | None] = {}
    for bucket, keys in keys_by_bucket.items():
        hashes.update(presets_hashes(s3, bucket, keys))
    return hashes


def counts_of(plan: BackfillPlan) -> Counts:
    return Counts(plan.considered, len(plan.to_start), len(plan.up_to_date), len(plan.filtered))


@dataclass(frozen=True)
class Tally:
    """What a counting pass found; ``complete`` is False when it stopped above the limit."""

    counts: Counts
    complete: bool


def count(pages: Iterable[Page], plan: Callable[[Page], BackfillPlan], on_page: Callable[[Counts], None],
          stop_above: int | None = None) -> Tally:
    """Plan every page without handing anything over; stop once more than ``stop_above`` would start."""
    total = Counts()
    for page in pages:
        total += counts_of(plan(page))
        on_page(total)
        if stop_above is not None and total.enqueued > stop_above:
            return Tally(total, complete=False)
    return Tally(total, complete=True)


def hand_over(pages: Iterable[Page], plan: Callable[[Page], BackfillPlan], sender: QueueSender, region: str,
              start: Checkpoint, on_page: Callable[[Checkpoint], None]) -> Checkpoint:
    """Enqueue each page's planned objects, then move the checkpoint past the page (``on_page``)."""
    checkpoint = start
    for page in pages:
        if not page:
            continue
        planned = plan(page)
        sent_at = datetime.now(UTC)
        sender.send([message_body(one, region, sent_at, start.marker) for one in planned.to_start])
        checkpoint = checkpoint.after_page(page[-1]["Key"], counts_of(planned))
        on_page(checkpoint)
    return checkpoint
