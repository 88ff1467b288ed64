"""How `make test` hands files to its xdist workers (tests/conftest.py), and the xdist internals it
leans on: a scheduler's ``_split_scope`` is private, so a pytest-xdist upgrade that moves it fails
here, not as a suite that silently runs the sleeping tests one after the other again."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import xdist.newhooks
from xdist.scheduler import LoadFileScheduling

from tests.conftest import HANDED_OUT_ONE_BY_ONE, LongTestsApart

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_scheduler_hook_and_the_scope_method_are_where_xdist_had_them():
    assert hasattr(xdist.newhooks, "pytest_xdist_make_scheduler")
    assert list(inspect.signature(LoadFileScheduling._split_scope).parameters) == ["self", "nodeid"]
    assert LoadFileScheduling._split_scope(None, "tests/a/test_b.py::test_c[1]") == "tests/a/test_b.py"


def test_tests_of_the_listed_files_are_units_of_their_own_and_other_files_stay_whole():
    listed = HANDED_OUT_ONE_BY_ONE[0]
    scope = LongTestsApart._split_scope
    assert scope(None, f"{listed}::test_x[45]") != scope(None, f"{listed}::test_x[180]")
    assert scope(None, "tests/cloud/test_pipeline.py::test_a") == scope(None, "tests/cloud/test_pipeline.py::test_b")


def test_each_listed_file_exists_is_marked_long_and_has_no_module_fixture_to_share():
    for listed in HANDED_OUT_ONE_BY_ONE:
        source = (REPO_ROOT / listed).read_text(encoding="utf-8")
        assert "pytest.mark.long" in source, listed
        scopes = [keyword.value.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
                  for keyword in node.keywords if keyword.arg == "scope" and isinstance(keyword.value, ast.Constant)]
        assert scopes == [], f"{listed} has fixtures of scope {scopes}, set up again on every worker it reaches"
