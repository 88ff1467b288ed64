"""Collecting the suite loads nothing that only some tests need: each of the four workers collects
every file, so a package imported at the top of one test module is loaded four times."""

from __future__ import annotations


def test_collecting_the_suite_loaded_no_cdk(pytestconfig):
    # Recorded by tests/conftest.py's pytest_collection_finish in this process, before any test ran.
    assert pytestconfig.loaded_by_collection == [], (
        "import these inside the tests that use them (tests/infra/test_construct_options.py shows how)")
