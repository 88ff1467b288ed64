"""Where an interrupted backfill stopped: a small local JSON file, rewritten after each page.

It is written only once every message of a page is on the queue, so continuing with
``StartAfter`` = its last key loses nothing and sends at most one page again (harmless: the
dispatcher meets the executions by name).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

FORMAT = "imgfan.backfill-checkpoint/1"


class CheckpointError(Exception):
    """The checkpoint cannot be continued; the message says what to do instead."""


@dataclass(frozen=True)
class Run:
    """What a checkpoint must agree on with the run that continues it."""

    bucket: str
    prefix: str
    presets_hash: str
    mode: str  # "all", "only-stale" or "prune"


@dataclass(frozen=True)
class Counts:
    listed: int = 0
    enqueued: int = 0
    up_to_date: int = 0
    filtered: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(asdict(self).values(), asdict(other).values(), strict=True)))


@dataclass(frozen=True)
class Checkpoint:
    run: Run
    # --prune's marker: kept, so that a continued prune names its executions as it began to.
    marker: str = ""
    last_key: str | None = None
    counts: Counts = field(default_factory=Counts)

    def after_page(self, last_key: str, page: Counts) -> Checkpoint:
        return replace(self, last_key=last_key, counts=self.counts + page)

    def to_dict(self) -> dict[str, object]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Checkpoint:
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, not {FORMAT!r}")
        return cls(Run(**data["run"]), data["marker"], data["last_key"], Counts(**data["counts"]))


def default_path(bucket: str, prefix: str) -> Path:
    """``$XDG_STATE_HOME/imgfan/backfill-<bucket>-<hash of prefix>.json`` (~/.local/state by default)."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    digest = hashlib.sha256(prefix.encode("utf-8")).hexdigest()[:12]
    return state / "imgfan" / f"backfill-{bucket}-{digest}.json"


def save(path: Path, checkpoint: Checkpoint) -> None:
    """Write atomically: a crash mid-write leaves the previous checkpoint, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(checkpoint.to_dict(), indent=2), encoding="utf-8")
    os.replace(temporary, path)


def resume(path: Path, run: Run) -> Checkpoint:
    """The checkpoint at ``path``, if it belongs to ``run``; CheckpointError otherwise."""
    try:
        checkpoint = Checkpoint.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {path}: leave out --resume to start from the beginning") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint {path} is unreadable ({exc}): delete it, or leave out --resume") from None
    if checkpoint.run != run:
        raise CheckpointError(
            f"checkpoint {path} is for another run ({_differences(checkpoint.run, run)}): "
            f"leave out --resume to start over, or delete {path}"
        )
    return checkpoint


def _differences(saved: Run, current: Run) -> str:
    return ", ".join(
        f"{name} {value!r} there, {getattr(current, name)!r} now"
        for name, value in asdict(saved).items() if getattr(current, name) != value
    )
