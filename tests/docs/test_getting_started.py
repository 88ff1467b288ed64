"""docs/getting-started.md as a reader follows it: every command, in page order, in one shell.

The commands are read out of the page's fenced blocks (``doc_pages``), so what the page shows is
what runs: a changed command, a changed output line or a new command is tested by itself. They
run in a temporary folder that links to the repository's files (so ``src/imgfan/samples`` and
``presets.json`` are the repository's, and what the commands write stays out of it), with
``.venv`` linked to the virtualenv running the tests. Shell state carries over from one command
to the next as in a terminal: the environment and working directory after each command are the
next one's.

Two things differ from a reader's terminal, both on purpose: ``imgfan local up`` (which would
hold the terminal) is stood in for by the suite's embedded cloud, deployed by tests/conftest.py
the way ``local up`` deploys it, and its endpoint is in ``AWS_ENDPOINT_URL`` from then on,
because the suite's cloud listens on a free port rather than 4566.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from doc_pages import DOCS, REPO_ROOT, Command, commands, missing_output

PAGE = DOCS / "getting-started.md"
COMMANDS = commands(PAGE)
# The page's commands that this file does not run, and where each is run instead: every entry
# must name files that exist and contain the text given. The test below asserts that these are
# exactly the commands not run here, so a new slow command cannot slip past unnoticed.
RUN_ELSEWHERE = {
    # `make demo` runs `imgfan demo`, which tests/cloud/test_demo.py runs end to end.
    "make demo": [("Makefile", "$(BIN)/imgfan demo"), ("tests/cloud/test_demo.py", '[str(imgfan), "demo"')],
    # `make test` runs pytest, which is the suite this file belongs to.
    "make test": [("Makefile", "$(BIN)/python -m pytest")],
}
# Stood in for by the session's embedded cloud; the command itself runs in test_local_up.py.
STAND_IN = "imgfan local up"
STAND_IN_TESTED_BY = ("tests/cloud/test_local_up.py", '"local", "up"')
# Commands that change the shell rather than print: they must print nothing and change the
# environment (an `eval "$(cmd)"` whose cmd fails would otherwise pass silently).
STATE_COMMANDS = ("source", ".", "eval", "export", "cd")
# Variables bash changes by itself; they do not show that a command did anything.
BASH_OWN = {"PWD", "OLDPWD", "SHLVL", "_"}
# What the temporary folder does not link: outputs and caches a command may write.
NOT_LINKED = {".git", ".venv", ".imgfan-cache", ".pytest_cache", "cdk.out", "imgfan-demo", "site", "variants"}
TIMEOUT_S = 600

STEPS = [command for command in COMMANDS if command.bare not in RUN_ELSEWHERE]
FIRST_CLOUD_STEP = next((i for i, step in enumerate(STEPS) if step.bare == STAND_IN), len(STEPS))


@dataclass
class Shell:
    folder: Path
    env: dict[str, str]
    # The step that has not passed yet; the steps after it need what it should have done.
    unfinished: str | None = None
    cloud_endpoint: str | None = field(default=None)

    def run(self, text: str) -> tuple[int, str, dict[str, str]]:
        """Exit status, stdout and stderr together, and the environment the command left."""
        dump = self.folder.parent / "environment"
        dump.unlink(missing_ok=True)
        script = f'__dump="$1"; shift\nset -eo pipefail\n{text}\nenv -0 > "$__dump"\n'
        done = subprocess.run(["bash", "-c", script, "bash", str(dump)], cwd=self.env["PWD"], env=self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_S, check=False)
        after = dict(item.split("=", 1) for item in dump.read_text().split("\0") if "=" in item) \
            if dump.exists() else dict(self.env)
        return done.returncode, done.stdout, after


@pytest.fixture(scope="module")
def shell(tmp_path_factory) -> Shell:
    venv = Path(sys.prefix)
    if not (venv / "bin" / "activate").is_file():
        pytest.skip(f"the tests do not run in a virtualenv ({venv}), and the page activates one")
    folder = tmp_path_factory.mktemp("getting-started") / "imgfan"
    folder.mkdir()
    for entry in REPO_ROOT.iterdir():
        if entry.name not in NOT_LINKED:
            (folder / entry.name).symlink_to(entry)
    (folder / ".venv").symlink_to(venv)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("AWS_") and name not in {"VIRTUAL_ENV", "IMGFAN_FAULTS"}}
    # The reader's own AWS profile must not leak in: the page's credentials come from `local env`.
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(folder.parent / "no-aws-config")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PWD"] = str(folder)
    return Shell(folder, env)


def test_the_page_shows_the_commands_a_newcomer_needs():
    # Guards the reader of the page as much as the test: an empty or unparsed page runs nothing.
    shown = [step.bare for step in STEPS]
    for needed in ("source .venv/bin/activate", "imgfan render src/imgfan/samples --out variants",
                   "imgfan presets validate presets.json", STAND_IN, 'eval "$(imgfan local env)"',
                   "imgfan manifest get photos/nikon.jpg", "imgfan executions show photos/nikon.jpg",
                   "imgfan presets push presets.json"):
        assert needed in shown, f"{PAGE.name} no longer shows {needed!r}"
    assert FIRST_CLOUD_STEP < len(STEPS) - 1


def test_commands_not_run_here_are_exactly_those_run_elsewhere():
    not_run = {command.bare for command in COMMANDS} - {step.bare for step in STEPS}
    assert not_run == set(RUN_ELSEWHERE)
    for name, places in [*RUN_ELSEWHERE.items(), (STAND_IN, [STAND_IN_TESTED_BY])]:
        for path, text in places:
            assert text in (REPO_ROOT / path).read_text(encoding="utf-8"), f"{name}: {path} lacks {text!r}"


@pytest.mark.parametrize("index", [
    pytest.param(i, id=f"{step.line}: {step.bare[:60]}", marks=[pytest.mark.cloud] if i >= FIRST_CLOUD_STEP else [])
    for i, step in enumerate(STEPS)
])
def test_command_runs_as_the_page_shows(index, shell, request):
    step = STEPS[index]
    if shell.unfinished:
        pytest.skip(f"a command before this one did not pass: {shell.unfinished}")
    shell.unfinished = step.where()
    if step.bare == STAND_IN:
        stand_in_for_local_up(shell, request)
    else:
        run_step(shell, step)
    shell.unfinished = None


def stand_in_for_local_up(shell: Shell, request) -> None:
    from imgfan.console import about_console

    if shutil.which("aws", path=shell.env["PATH"]) is None:
        pytest.skip("the page uploads with the aws CLI, which is not installed here")
    cloud = request.getfixturevalue("cloud")
    request.getfixturevalue("console")
    assert about_console(cloud.endpoint_url) is not None, "the session's cloud serves no console"
    shell.env["AWS_ENDPOINT_URL"] = shell.cloud_endpoint = cloud.endpoint_url


def run_step(shell: Shell, step: Command) -> None:
    code, printed, after = shell.run(step.text)
    assert code == 0, f"{step.where()}: `{step.text}` exited {code}:\n{printed}"
    missing = missing_output(step.output, printed)
    assert missing is None, f"{step.where()}: `{step.text}` did not print\n  {missing}\nbut:\n{printed}"
    if step.bare.split()[0] in STATE_COMMANDS:
        assert printed == "", f"{step.where()}: `{step.text}` printed (a failure inside it?):\n{printed}"
        changed = {name for name in after.keys() | shell.env.keys()
                   if after.get(name) != shell.env.get(name)} - BASH_OWN
        assert changed, f"{step.where()}: `{step.text}` changed nothing in the shell"
    shell.env = after
