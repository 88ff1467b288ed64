"""How long the state machine waits out a transient failure before it records the image as failed.

Step Functions' own Retry does the waiting (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
exponential backoff from ``INTERVAL_SECONDS``, capped at ``MaxDelaySeconds``, with full jitter so
that a burst of throttled executions does not come back in lockstep. One execution keeps the
whole story (each attempt is a TaskFailed/TaskScheduled pair in its history), no new execution
names, no extra queue. Settings give the cap and the patience; this module turns the patience
into ``MaxAttempts`` and checks that the history stays under its quota.
"""

from __future__ import annotations

from dataclasses import dataclass

INTERVAL_SECONDS = 2
BACKOFF_RATE = 2.0
# A Standard execution's history holds at most 25,000 events
# (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); a retried Lambda task
# adds three per attempt (TaskScheduled, TaskStarted, TaskFailed).
HISTORY_EVENT_LIMIT = 25_000
EVENTS_PER_ATTEMPT = 3
# What one execution needs besides the retries: Analyze, the Map, Finalize and their state events.
HISTORY_HEADROOM = 1_000


@dataclass(frozen=True)
class TransientRetry:
    max_delay_seconds: int
    max_attempts: int

    @classmethod
    def for_patience(cls, patience_seconds: int, max_delay_seconds: int) -> TransientRetry:
        return cls(max_delay_seconds, attempts_for(patience_seconds, max_delay_seconds))

    def worst_case_events(self, presets: int) -> int:
        """History events if Analyze and every preset used up all their attempts."""
        return HISTORY_HEADROOM + EVENTS_PER_ATTEMPT * self.max_attempts * (presets + 2)


def attempts_for(patience_seconds: int, max_delay_seconds: int) -> int:
    """The attempts whose expected waits add up to ``patience_seconds``.

    With full jitter a wait is uniform between 0 and min(cap, interval x rate^n), so it averages
    half of that.
    """
    waited, attempts, delay = 0.0, 0, float(INTERVAL_SECONDS)
    while waited < patience_seconds:
        waited += min(max_delay_seconds, delay) / 2
        delay = min(delay * BACKOFF_RATE, max_delay_seconds)
        attempts += 1
    return max(attempts, 1)
