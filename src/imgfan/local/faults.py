"""Fault injection for the embedded cloud: the switches, and the seeded dice that decide them.

Only the embedded cloud injects faults (the Lambda runtime, the SQS poller and the HTTP layer in
front of moto); product code never knows. A plan is written as ``name=value`` pairs separated by
commas, for example ``kill=0.05,s3-error=0.02,seed=7``, and given to ``imgfan local up --faults``
or in the ``IMGFAN_FAULTS`` environment variable. Every rate is a fraction between 0 and 1.

Each switch rolls its own ``random.Random(f"{seed}/{switch}")``: the n-th decision of a switch is
its stream's n-th draw ``< rate``, whatever the other switches do. So a run that makes the same
calls of one kind injects the same number of faults of that kind.
"""

from __future__ import annotations

import argparse
import difflib
import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, fields

ENVIRONMENT_VARIABLE = "IMGFAN_FAULTS"

# Switch name -> what it does; docs/fault-injection.md's table says the same in more words.
SWITCHES = {
    "lambda-error": "fraction of Lambda Invoke calls answered 500 ServiceException before the function runs",
    "throttle-lambda": "fraction of Lambda Invoke calls answered 429 TooManyRequestsException",
    "kill": "fraction of invocations whose worker is SIGKILLed while the handler runs (Runtime.ExitError)",
    "idle-kill": "fraction of invocations after which the worker is SIGKILLed while idle",
    "latency": "fraction of invocations delayed by latency-seconds inside the handler's time",
    "latency-seconds": "the added latency in seconds (default 1)",
    "s3-error": "fraction of S3 requests made by functions answered 503 SlowDown or 500 InternalError",
    "missing-key-403": "fraction of functions' S3 GET/HEAD requests for a missing key answered 403 AccessDenied",
    "throttle-start": "fraction of StartExecution calls answered 400 ThrottlingException",
    "duplicate": "fraction of successfully processed SQS messages delivered once more",
    "functions": "the Lambda switches touch only functions whose name contains one of these, joined by '+'",
    "seed": "seed of the random streams (default 0)",
}


class FaultSpecError(ValueError):
    """A fault plan that cannot be parsed; the message names the switch and the fix."""


@dataclass(frozen=True)
class FaultPlan:
    lambda_error: float = 0.0
    throttle_lambda: float = 0.0
    kill: float = 0.0
    idle_kill: float = 0.0
    latency: float = 0.0
    latency_seconds: float = 1.0
    s3_error: float = 0.0
    missing_key_403: float = 0.0
    throttle_start: float = 0.0
    duplicate: float = 0.0
    functions: tuple[str, ...] = ()
    seed: int = 0

    @classmethod
    def parse(cls, spec: str | None) -> FaultPlan:
        """``"kill=0.05,seed=7"``; an empty spec or ``none`` is no faults."""
        text = (spec or "").strip()
        if text.lower() in ("", "none", "off"):
            return cls()
        values: dict[str, object] = {}
        for item in text.split(","):
            name, sep, raw = (part.strip() for part in item.partition("="))
            if name not in SWITCHES:
                raise FaultSpecError(f"unknown fault switch '{name}'; {_did_you_mean(name)}")
            if not sep or not raw:
                raise FaultSpecError(f"fault switch {name} needs a value, as in {name}={_example(name)}")
            values[name.replace("-", "_")] = _parse_value(name, raw)
        return cls(**values)

    def to_spec(self) -> str:
        """The plan written back as a spec (only what differs from no faults)."""
        default = FaultPlan()
        parts = []
        for field in fields(self):
            value = getattr(self, field.name)
            if value != getattr(default, field.name):
                shown = "+".join(value) if field.name == "functions" else value
                parts.append(f"{field.name.replace('_', '-')}={shown}")
        return ",".join(parts) or "none"

    @property
    def active(self) -> bool:
        return self.to_spec() != "none"

    def applies_to(self, function_name: str) -> bool:
        return not self.functions or any(part.lower() in function_name.lower() for part in self.functions)


def _parse_value(name: str, raw: str) -> object:
    if name == "functions":
        return tuple(part for part in raw.split("+") if part)
    if name == "seed":
        try:
            return int(raw)
        except ValueError:
            raise FaultSpecError(f"fault switch seed must be a whole number, got '{raw}'") from None
    try:
        number = float(raw)
    except ValueError:
        number = -1.0
    if name == "latency-seconds":
        if not 0 <= number <= 900:
            raise FaultSpecError(f"fault switch latency-seconds must be between 0 and 900, got '{raw}'")
        return number
    if not 0 <= number <= 1:
        raise FaultSpecError(f"fault switch {name} must be a fraction between 0 and 1, got '{raw}'")
    return number


def _example(name: str) -> str:
    return {"functions": "Resizer+Finalizer", "seed": "7", "latency-seconds": "0.5"}.get(name, "0.05")


def _did_you_mean(name: str) -> str:
    close = difflib.get_close_matches(name, SWITCHES, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"the switches are {', '.join(SWITCHES)}"


def fault_plan_argument(spec: str) -> FaultPlan:
    """``FaultPlan.parse`` for argparse, which prints the message as one line and exits 2."""
    try:
        return FaultPlan.parse(spec)
    except FaultSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class FaultInjector:
    """The live plan, one seeded random stream per switch, and how many faults each injected.

    Shared by the Lambda runtime, the SQS poller and the HTTP middleware; thread-safe. A new plan
    (``set_plan``) restarts the streams; the counts keep adding up.
    """

    def __init__(self, plan: FaultPlan | None = None):
        self._lock = threading.Lock()
        self._injected: Counter[str] = Counter()
        self.set_plan(plan or FaultPlan())

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def set_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan
            self._streams: dict[str, random.Random] = {}

    def _stream(self, name: str) -> random.Random:
        # Called with the lock held.
        if name not in self._streams:
            self._streams[name] = random.Random(f"{self._plan.seed}/{name}")
        return self._streams[name]

    def roll(self, switch: str, function_name: str | None = None) -> bool:
        """Decide one fault of ``switch`` (for ``function_name``, if it concerns a function)."""
        rate = getattr(self._plan, switch.replace("-", "_"))
        if rate <= 0:
            return False
        if function_name is not None and not self._plan.applies_to(function_name):
            return False
        with self._lock:
            hit = self._stream(switch).random() < rate
            if hit:
                self._injected[switch] += 1
        return hit

    def uniform(self, switch: str, low: float, high: float) -> float:
        """A value for a fault that needs one (when to kill a worker), from a stream of its own,
        so that it does not shift ``switch``'s decisions."""
        with self._lock:
            return self._stream(f"{switch}/value").uniform(low, high)

    def injected(self) -> dict[str, int]:
        with self._lock:
            return dict(self._injected)

    def describe(self) -> dict[str, object]:
        return {"faults": self._plan.to_spec(), "plan": asdict(self._plan), "injected": self.injected()}
