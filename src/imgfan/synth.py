"""Synthesize the CDK app into a cloud assembly, cached on disk.

Synthesis needs Node (jsii) and takes seconds, so the assembly is kept under
``.imgfan-cache/synth/<hash>``. The hash covers every input of the template: ``infra/``,
``statemachine/``, ``functions/``, ``src/imgfan_core/``, the presets file, the context and the
pinned tool versions. The app runs as ``python -m infra.app`` in a subprocess, exactly as
``cdk synth`` runs it (``CDK_OUTDIR`` / ``CDK_CONTEXT_JSON``).

At the top of ``imgfan``: ``imgfan synth``, the embedded cloud's deploy (``local.cloud``) and the
construct's layer bundling (``cdk.bundling``, for ``digest_tree``) use it. Not in ``cdk``, whose
package imports ``aws_cdk`` (a Node process), which the CLI never loads itself: synthesis runs in
a subprocess.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from imgfan_core.stack_names import STACK_NAME

INPUT_DIRS = ("infra", "src/imgfan/cdk", "statemachine", "functions", "src/imgfan_core")
VERSIONED = ("aws-cdk-lib", "constructs", "jsii", "cdk-nag", "pydantic")
# Enough for every context the test suite synthesizes (tests/synth_contexts.py) plus a few of a
# user's own, so that one `make test` never evicts what the next one reuses.
KEEP_ASSEMBLIES = 40
# A `.tmp-*` folder this old belongs to a synthesis that was killed (its process cannot rename
# it any more); younger ones may be in use by another process.
ABANDONED_AFTER_S = 3600


class SynthError(Exception):
    """Synthesis failed; the message is the app's own explanation (e.g. the invalid preset field)."""


def repo_root() -> Path:
    here = Path(__file__).resolve().parents[2]
    cwd = Path.cwd().resolve()
    for candidate in (here, cwd, *cwd.parents):
        if (candidate / "infra" / "app.py").is_file() and (candidate / "cdk.json").is_file():
            return candidate
    raise SynthError("cannot find the imgfan CDK app (infra/app.py); run from the repository")


def template_path(assembly: Path) -> Path:
    return assembly / f"{STACK_NAME}.template.json"


def _normalise_context(context: dict | None, cwd: Path) -> dict[str, str]:
    normalised = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in (context or {}).items()}
    presets = normalised.get("presetsFile")
    if presets is not None and not Path(presets).is_absolute():
        # The app runs from the repository root; a relative path means the caller's directory.
        normalised["presetsFile"] = str((cwd / presets).resolve())
    return normalised


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def digest_tree(root: Path, digest: hashlib._Hash) -> None:
    """Feed every file under ``root`` (path and bytes, in path order) into ``digest``; bytecode and
    a missing ``root`` add nothing. The synth cache key and the layer's asset hash both use it."""
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def assembly_hash(root: Path, context: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in INPUT_DIRS:
        digest.update(f"[{name}]".encode())
        digest_tree(root / name, digest)
    presets = Path(context.get("presetsFile", root / "presets.json"))
    digest.update(b"[presets]" + (presets.read_bytes() if presets.is_file() else b"<missing>"))
    digest.update(json.dumps(context, sort_keys=True).encode())
    versions = {name: _version(name) for name in VERSIONED}
    versions["python"] = sys.version.split()[0]
    digest.update(json.dumps(versions, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def _app_environment(**cdk: str) -> dict[str, str]:
    """This process's environment for a run of a CDK app, with ``cdk`` (CDK_OUTDIR, ...) only."""
    env = {k: v for k, v in os.environ.items() if k not in ("CDK_OUTDIR", "CDK_CONTEXT_JSON")} | cdk
    # jsii's Node end-of-life banner would bury the app's own error message in failures.
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    return env


def _run_app(root: Path, context: dict[str, str], outdir: Path) -> None:
    env = _app_environment(CDK_OUTDIR=str(outdir), CDK_CONTEXT_JSON=json.dumps(context))
    result = subprocess.run([sys.executable, "-m", "infra.app"], cwd=root, env=env,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("b'!!")]
        message = [line.removeprefix("imgfan synth: ") for line in lines if "imgfan synth:" in line]
        if message:
            # The app's own one-line explanation plus any continuation lines after it.
            start = next(i for i, line in enumerate(lines) if "imgfan synth:" in line)
            raise SynthError("\n".join([message[0], *lines[start + 1:]]))
        raise SynthError("CDK synthesis failed:\n" + "\n".join(lines[-25:]))


def _prune(cache: Path) -> None:
    entries = sorted((p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_ASSEMBLIES:]:
        shutil.rmtree(old, ignore_errors=True)
        (cache / f".{old.name}.lock").unlink(missing_ok=True)
    now = time.time()
    for abandoned in cache.glob(".tmp-*"):
        try:
            if now - abandoned.stat().st_mtime > ABANDONED_AFTER_S:
                shutil.rmtree(abandoned, ignore_errors=True)
        except FileNotFoundError:
            pass  # finished (renamed) or removed by its own process meanwhile


def synthesize(context: dict | None = None, outdir: str | Path | None = None, quiet: bool = False) -> Path:
    """Return the cloud assembly directory for ``context``, synthesizing only on a cache miss.

    With ``outdir`` the assembly is written there (always synthesized, not cached).
    """
    root = repo_root()
    normalised = _normalise_context(context, Path.cwd())
    if outdir is not None:
        target = Path(outdir).resolve()
        if not quiet:
            print(f"imgfan: synthesizing the CDK app into {target} ...", file=sys.stderr, flush=True)
        _run_app(root, normalised, target)
        return target
    cache = root / ".imgfan-cache" / "synth"
    assembly = cache / assembly_hash(root, normalised)
    if _cached(assembly):
        return assembly
    cache.mkdir(parents=True, exist_ok=True)
    # Processes synthesizing the same inputs at once (parallel test workers, two terminals) wait
    # for the first instead of each spending ~10 s of Node on an identical assembly.
    with open(cache / f".{assembly.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _cached(assembly):
            return assembly
        _fill(root, normalised, cache, assembly, quiet)
    _prune(cache)
    return assembly


def _cached(assembly: Path) -> bool:
    if template_path(assembly).is_file() and (assembly / ".complete").is_file():
        os.utime(assembly)
        return True
    return False


def _fill(root: Path, normalised: dict[str, str], cache: Path, assembly: Path, quiet: bool) -> None:
    if not quiet:
        print("imgfan: synthesizing the CDK app (inputs changed; takes ~10 s, cached afterwards) ...",
              file=sys.stderr, flush=True)
    work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache))
    try:
        _run_app(root, normalised, work)
        _move_into_cache(work, assembly, normalised)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _move_into_cache(work: Path, assembly: Path, normalised: dict[str, str]) -> None:
    (work / ".complete").write_text(json.dumps(normalised, sort_keys=True))
    try:
        work.rename(assembly)
    except OSError:
        if not (assembly / ".complete").is_file():
            raise
        # A concurrent synth of the same inputs won the race; its assembly is identical.


def synthesize_many(contexts: list[dict], quiet: bool = True) -> list[Path]:
    """Fill the cache for every context in ``contexts`` with one run of the app; returns the
    assemblies that are cached afterwards.

    Each context on its own costs a Python start, a Node (jsii) start and the CDK library's load,
    ~10 CPU-seconds, of which the stack itself is a small part; one process building one ``App``
    per context pays that start once. A context already cached, or locked by another process
    synthesizing it now, is skipped, and one that fails here is left for :func:`synthesize`,
    whose error message is the one users see.
    """
    root = repo_root()
    cache = root / ".imgfan-cache" / "synth"
    cache.mkdir(parents=True, exist_ok=True)
    jobs = []
    for context in contexts:
        normalised = _normalise_context(context, Path.cwd())
        assembly = cache / assembly_hash(root, normalised)
        if _cached(assembly):
            continue
        lock = _try_lock(cache / f".{assembly.name}.lock")
        if lock is None:
            continue  # another process is synthesizing it; synthesize() will wait for that one
        if _cached(assembly):
            lock.close()
            continue
        jobs.append((normalised, assembly, Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache)), lock))
    if jobs:
        if not quiet:
            print(f"imgfan: synthesizing {len(jobs)} contexts of the CDK app in one process ...",
                  file=sys.stderr, flush=True)
        try:
            _run_many(root, jobs)
        finally:
            for _, _, work, lock in jobs:
                shutil.rmtree(work, ignore_errors=True)
                lock.close()
        _prune(cache)
    return [assembly for _, assembly, _, _ in jobs if _cached(assembly)]


def _try_lock(path: Path):
    lock = open(path, "w")  # noqa: SIM115 - held open until its assembly is in place
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def _run_many(root: Path, jobs: list) -> None:
    """Run ``python -m infra.app --many``; each assembly is moved into place (and its lock let
    go) as soon as the app reports it done, so a process waiting for one does not wait for all."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=root / ".imgfan-cache" / "synth",
                                     prefix=".jobs-", delete=False) as listing:
        json.dump([{"context": context, "outdir": str(work)} for context, _, work, _ in jobs], listing)
    try:
        with subprocess.Popen([sys.executable, "-m", "infra.app", "--many", listing.name], cwd=root,
                              env=_app_environment(),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as app:
            assert app.stdout is not None
            for line in app.stdout:
                word, _, index = line.strip().partition(" ")
                if word != "done" or not index.isdigit() or int(index) >= len(jobs):
                    continue
                context, assembly, work, lock = jobs[int(index)]
                _move_into_cache(work, assembly, context)
                lock.close()
    finally:
        Path(listing.name).unlink(missing_ok=True)


def app_assembly(app: str, context: dict | None = None, progress=print) -> Path:
    """A CDK app's cloud assembly, as ``cdk --app`` takes it: an assembly folder (``cdk.out``) as
    it is, or a command (``python app.py``) run with ``CDK_OUTDIR`` and ``CDK_CONTEXT_JSON`` the
    way the CDK CLI runs it, into a fresh folder."""
    folder = Path(app)
    if folder.is_dir():
        if not (folder / "manifest.json").is_file():
            raise SynthError(f"{folder} is not a cloud assembly (no manifest.json); run 'cdk synth' first")
        return folder.resolve()
    outdir = Path(tempfile.mkdtemp(prefix="imgfan-app-"))
    progress(f"synthesizing {app!r} into {outdir}")
    env = _app_environment(CDK_OUTDIR=str(outdir), CDK_CONTEXT_JSON=json.dumps(_normalise_context(context, Path.cwd())))
    result = subprocess.run(app, shell=True, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not (outdir / "manifest.json").is_file():
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise SynthError(f"{app!r} did not synthesize (exit {result.returncode}):\n" + "\n".join(lines[-25:]))
    return outdir
