#!/usr/bin/env python3
"""Mutation testing: would the fast test suite notice if imgfan_core broke in a way that matters?

Each mutant replaces one exact piece of text in one file with a broken version. The script applies
it to a temporary copy of the repository (never to the working tree), runs the tests that need
neither the embedded cloud nor CDK synthesis there, and reports which test caught the mutant, or
that it survived. A mutant whose text is not found exactly once is refused, so a declaration goes
stale loudly when the code moves.

    .venv/bin/python scripts/mutation.py            # every mutant, then the table
    .venv/bin/python scripts/mutation.py --list     # names and files only
    .venv/bin/python scripts/mutation.py --only presets-hash-algorithm

Exit status: 0 when every mutant was caught, 1 when one survived, 2 when the script cannot run
(a stale mutant, or tests that fail on the unmutated copy).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

REPO = Path(__file__).resolve().parents[1]
PYTEST_ARGS = ("-q", "-x", "-m", "not cloud and not synth", "-p", "no:cacheprovider")
# Two cores are shared with other work; more parallel runs would only slow each other down.
PARALLEL_RUNS = 2
# A mutant that makes the suite hang counts as caught; this only bounds the wait.
RUN_TIMEOUT_SECONDS = 900
# pytest's own exit codes: 1 = tests failed, 2 = interrupted (e.g. an import broken by the mutant).
CAUGHT_EXIT_CODES = (1, 2)


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    old: str
    new: str


MUTANTS = (
    # Every manifest records the presets hash; a different algorithm makes all of them stale.
    Mutant(
        "presets-hash-algorithm",
        "src/imgfan_core/presets/hashing.py",
        'return hashlib.sha256(_hash_material(config, key).encode("utf-8")).hexdigest()[:16]',
        'return hashlib.sha1(_hash_material(config, key).encode("utf-8")).hexdigest()[:16]',
    ),
    # A new upload of the same key would reuse the old execution name and never render.
    Mutant(
        "execution-name-ignores-revision",
        "src/imgfan_core/keys.py",
        'identity = f"{action}\\n{bucket}\\n{key}\\n{revision}\\n{presets_digest}"',
        'identity = f"{action}\\n{bucket}\\n{key}\\n{presets_digest}"',
    ),
    # Keys whose outputs cannot exist in S3 would start executions that fail on every write.
    Mutant(
        "s3-key-length-limit-off",
        "src/imgfan_core/dispatch.py",
        'if len(longest.encode("utf-8")) > S3_MAX_KEY_BYTES:',
        'if False and len(longest.encode("utf-8")) > S3_MAX_KEY_BYTES:',
    ),
    # A deleted source would be retried with backoff instead of recorded once as SourceMissing.
    Mutant(
        "no-such-key-is-transient",
        "src/imgfan_core/storage.py",
        '_MISSING_CODES = {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}\n'
        '_REPLACED_CODES = {"PreconditionFailed", "412"}\n'
        '_THROTTLING_CODES = {"SlowDown",',
        '_MISSING_CODES = {"NoSuchVersion", "404", "NotFound"}\n'
        '_REPLACED_CODES = {"PreconditionFailed", "412"}\n'
        '_THROTTLING_CODES = {"NoSuchKey", "SlowDown",',
    ),
    # A transparent PNG tagged with a wide-gamut profile would come out opaque.
    Mutant(
        "icc-transform-drops-alpha",
        "src/imgfan_core/engine/colour.py",
        "    if alpha is not None:\n        converted.putalpha(alpha)\n",
        "",
    ),
    # Square thumbs and social cards would enter srcset and show the wrong framing.
    Mutant(
        "srcset-keeps-crops",
        "src/imgfan_core/manifest.py",
        "if source_size is not None and not same_aspect(",
        "if False and not same_aspect(",
    ),
    # S3's notification-configured test message would fail validation and end in the DLQ.
    Mutant(
        "s3-test-event-not-skipped",
        "src/imgfan_core/events.py",
        'return isinstance(body, dict) and body.get("Event") == TEST_EVENT',
        "return False",
    ),
    # Phone portraits (EXIF orientation 6) would come out upside down.
    Mutant(
        "orientation-6-turned-the-wrong-way",
        "src/imgfan_core/engine/decode.py",
        "6: Image.Transpose.ROTATE_270,",
        "6: Image.Transpose.ROTATE_90,",
    ),
    # A stack trace or an HTML error page as a cause would bloat every manifest.
    Mutant(
        "cause-message-not-truncated",
        "src/imgfan_core/contract.py",
        'return message if len(message) <= MAX_ERROR_MESSAGE else message[: MAX_ERROR_MESSAGE - 1] + "…"',
        "return message",
    ),
    # A manifest with failed variants would claim to be complete.
    Mutant(
        "partial-reported-as-complete",
        "src/imgfan_core/manifest.py",
        'return "complete" if ok == len(variants) else "partial"',
        'return "complete"',
    ),
)


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    verdict: str  # caught | survived | error
    caught_by: str


def give_up(message: str) -> NoReturn:
    print(f"mutation: {message}", file=sys.stderr)
    sys.exit(2)


def stale_mutants(mutants: tuple[Mutant, ...], root: Path) -> list[str]:
    """One line per mutant whose old text is not in its file exactly once."""
    problems = []
    for mutant in mutants:
        path = root / mutant.file
        count = path.read_text(encoding="utf-8").count(mutant.old) if path.is_file() else 0
        if count != 1:
            problems.append(f"{mutant.name}: its text occurs {count} times in {mutant.file} (expected once)")
    return problems


def copy_repository(target: Path) -> Path:
    """The working tree's tracked and untracked-but-not-ignored files (no .venv, caches or .git)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.decode("utf-8").split("\0")
    for relative in filter(None, listed):
        source = REPO / relative
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    return target


def environment(copy: Path) -> dict[str, str]:
    # PYTHONPATH comes before site-packages, so the copy's src shadows the editable install.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(copy / "src"), env.get("PYTHONPATH")]))
    env.pop("PYTEST_ADDOPTS", None)
    return env


def imports_come_from(copy: Path) -> None:
    """Refuse to run when Python would import imgfan from anywhere but the copy."""
    code = "import imgfan, imgfan_core; print(imgfan.__file__); print(imgfan_core.__file__)"
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=copy, env=environment(copy), check=True, capture_output=True,
        text=True,
    ).stdout.split()
    outside = [path for path in found if not Path(path).resolve().is_relative_to(copy.resolve())]
    if outside:
        give_up(f"the copy's packages are shadowed by {', '.join(outside)}; check PYTHONPATH")


def run_tests(copy: Path, scratch: Path) -> tuple[int, str]:
    """pytest's exit code and output; --basetemp keeps parallel runs out of each other's tmp dirs."""
    command = [sys.executable, "-m", "pytest", *PYTEST_ARGS, f"--basetemp={scratch}"]
    process = subprocess.Popen(
        command, cwd=copy, env=environment(copy), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return -1, output + f"\n(timed out after {RUN_TIMEOUT_SECONDS} s)"
    return process.returncode, output


def first_failure(output: str) -> str:
    """The first test pytest reports as failed or errored, from its short summary."""
    match = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)
    if match:
        return match.group(1)
    return "collection error" if "error during collection" in output else "(see pytest output)"


def try_mutant(mutant: Mutant) -> Outcome:
    with tempfile.TemporaryDirectory(prefix=f"imgfan-mutant-{mutant.name}-") as temporary:
        copy = copy_repository(Path(temporary) / "repo")
        path = copy / mutant.file
        path.write_text(path.read_text(encoding="utf-8").replace(mutant.old, mutant.new, 1), encoding="utf-8")
        code, output = run_tests(copy, Path(temporary) / "pytest-tmp")
    if code == 0:
        return Outcome(mutant, "survived", "")
    if code == -1:
        return Outcome(mutant, "caught", "timeout")
    if code in CAUGHT_EXIT_CODES:
        return Outcome(mutant, "caught", first_failure(output))
    return Outcome(mutant, "error", f"pytest exit code {code}: {output.strip().splitlines()[-1:]}")


def check_baseline() -> None:
    """The unmutated copy must pass, or every mutant would look caught."""
    with tempfile.TemporaryDirectory(prefix="imgfan-mutant-baseline-") as temporary:
        copy = copy_repository(Path(temporary) / "repo")
        imports_come_from(copy)
        code, output = run_tests(copy, Path(temporary) / "pytest-tmp")
    if code != 0:
        give_up(f"the unmutated copy does not pass ({first_failure(output)}); fix that first")


def table(outcomes: list[Outcome]) -> str:
    rows = [("mutant", "file", "result", "caught by")]
    rows += [(o.mutant.name, o.mutant.file, o.verdict, o.caught_by or "-") for o in outcomes]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3] for row in rows
    )


def select(names: list[str] | None) -> tuple[Mutant, ...]:
    if not names:
        return MUTANTS
    known = {mutant.name: mutant for mutant in MUTANTS}
    unknown = [name for name in names if name not in known]
    if unknown:
        give_up(f"no mutant named {', '.join(unknown)}; see --list")
    return tuple(known[name] for name in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this mutant (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    mutants = select(args.only)
    problems = stale_mutants(mutants, REPO)
    if problems:
        give_up("stale mutants, update their text:\n  " + "\n  ".join(problems))
    if args.list:
        print("\n".join(f"{mutant.name}  {mutant.file}" for mutant in mutants))
        return 0
    print(f"pytest {shlex.join(PYTEST_ARGS)} on a copy of {REPO}, {PARALLEL_RUNS} at a time", file=sys.stderr)
    check_baseline()
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        outcomes = list(pool.map(try_mutant, mutants))
    print(table(outcomes))
    if any(outcome.verdict == "error" for outcome in outcomes):
        return 2
    return 1 if any(outcome.verdict == "survived" for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
