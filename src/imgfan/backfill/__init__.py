"""``imgfan backfill`` below the command line: planning listed objects as the dispatcher plans
uploads, and handing them to the event queue as S3-shaped messages, a page at a time, with a
checkpoint to continue from and a rate limit.
"""

from imgfan.backfill.checkpoint import Checkpoint, CheckpointError, Counts, Run, default_path, resume, save
from imgfan.backfill.planning import BackfillPlan, Planned, plan_backfill, without_current
from imgfan.backfill.rate import RateLimiter
from imgfan.backfill.run import Scope, Tally, count, counts_of, hand_over, plan_page, prune_marker
from imgfan.backfill.sender import EnqueueFailed, QueueSender, message_body, send_message_batch

__all__ = [
    "BackfillPlan",
    "Checkpoint",
    "CheckpointError",
    "Counts",
    "EnqueueFailed",
    "Planned",
    "QueueSender",
    "RateLimiter",
    "Run",
    "Scope",
    "Tally",
    "count",
    "counts_of",
    "default_path",
    "hand_over",
    "message_body",
    "plan_backfill",
    "plan_page",
    "prune_marker",
    "resume",
    "save",
    "send_message_batch",
    "without_current",
]
