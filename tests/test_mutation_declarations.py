"""scripts/mutation.py names each mutant by the exact text it breaks: when code moves, its
declaration must move with it, or the mutant silently stops testing anything."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _mutation_script():
    spec = importlib.util.spec_from_file_location("mutation", REPO_ROOT / "scripts" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name while the class body runs.
    sys.modules.setdefault("mutation", module)
    spec.loader.exec_module(module)
    return module


def test_every_mutant_finds_its_text_exactly_once():
    mutation = _mutation_script()
    assert mutation.MUTANTS
    assert mutation.stale_mutants(mutation.MUTANTS, REPO_ROOT) == []
