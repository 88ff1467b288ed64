"""Where the embedded cloud's own CPU time went, and the patches that took it back.

Profiled under load (``benchmarks/soak.py``; cProfile per thread and per-process CPU from /proc,
docs/capacity.md): before these patches the process running moto spent about 0.56 CPU s per
image, as much as the resizer's engine. None of them changes what any API answers; each only
stops moto redoing work whose result cannot change:

1. Step Functions parsed the ASL definition with ANTLR again for every execution, the largest
   item. The parsed program is kept per definition text. Its components keep per-execution
   state in the execution's environment, not in themselves (a Map already runs one component
   tree in several threads at once), except a lazily drawn ``heap_key``, drawn up front here.
2. The interpreter deep-copies the state's JSON input and output many times per state, with
   ``copy.deepcopy``; marshal does the same copy in C.
3. Every JSONPath (``$.source``, ...) was compiled again, building a new PLY parser each time.
4. Every HTTP request listed moto's package folder (``os.listdir`` and a ``stat`` per service)
   to route it, twice, and looked up its handler with ``inspect.getmembers``; those answers are
   kept. (Lambda tasks skip HTTP altogether: ``stepfunctions_lambda``.)
5. Every response's 52-character request id was drawn one ``random.choice`` call per character.
6. SQS asked the clock through two datetime constructions and a subtraction, and asks it for
   every message in the queue several times per call: SendMessage reads one queue attribute by
   computing them all, three of them counts over every message (visible? delayed?), so 1,150
   messages sent in batches took ~30 CPU s (tests/cloud/test_backfill_pages.py, py-spy). The
   same epoch milliseconds come from ``time.time()``.

``assert_hooks_present`` fails loudly (tests/local/test_moto_hooks.py) if moto moves any of it.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import marshal
import string
import threading
import time
import types
from typing import Any

from moto import backends
from moto.core import responses as core_responses
from moto.core import utils as core_utils
from moto.moto_api._internal.moto_random import MotoRandom
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sqs import models as sqs_models
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.component import Component
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

_PATCHED_FLAG = "_imgfan_speed"


def _mark(function: Any) -> Any:
    setattr(function, _PATCHED_FLAG, True)
    return function


def _patched(function: Any) -> bool:
    return getattr(function, _PATCHED_FLAG, False)


# -- 1. one parse per state machine definition ---------------------------------------------
_programs: dict[str, EvalComponent] = {}
_programs_lock = threading.Lock()


def _draw_heap_keys(component: Any, seen: set[int]) -> None:
    if id(component) in seen:
        return
    seen.add(id(component))
    if isinstance(component, EvalComponent):
        component.heap_key  # noqa: B018 - drawn now, so no two executions race to draw it
    children = vars(component).values() if isinstance(component, Component) else component
    for child in children:
        if isinstance(child, (Component, list, tuple)):
            _draw_heap_keys(child, seen)
        elif isinstance(child, dict):
            _draw_heap_keys(list(child.values()), seen)


def parsed_program(definition: str) -> EvalComponent:
    with _programs_lock:
        program = _programs.get(definition)
        if program is None:
            program = AmazonStateLanguageParser.parse(definition)[0]
            _draw_heap_keys(program, set())
            _programs[definition] = program
        return program


def reuse_parsed_state_machines() -> None:
    if _patched(ExecutionWorker._get_evaluation_entrypoint):
        return

    def _get_evaluation_entrypoint(self: ExecutionWorker) -> EvalComponent:
        return parsed_program(self._evaluation_details.state_machine_details.definition)

    ExecutionWorker._get_evaluation_entrypoint = _mark(_get_evaluation_entrypoint)


# -- 2. JSON values copied as JSON ----------------------------------------------------------
def json_deepcopy(value: Any, memo: dict | None = None) -> Any:
    """``copy.deepcopy`` for the interpreter's JSON values, done by marshal in C at a tenth of the
    cost; anything marshal cannot carry (datetimes in the context object) goes to deepcopy."""
    try:
        return marshal.loads(marshal.dumps(value))
    except ValueError:
        return copy.deepcopy(value, memo)


# The interpreter's modules that deep-copy state input and output on every step.
_COPYING_MODULES = (
    "asl.eval.states", "asl.eval.environment", "asl.eval.event.event_manager",
    "asl.component.common.string.string_expression", "asl.component.common.path.result_path",
    "asl.component.state.exec.execute_state", "asl.component.state.exec.state_map.state_map",
    "asl.component.state.exec.state_task.service.state_task_service",
)
_JSON_COPY = types.SimpleNamespace(deepcopy=json_deepcopy, copy=copy.copy)


def copy_state_data_as_json() -> None:
    for name in _COPYING_MODULES:
        module = importlib.import_module(f"moto.stepfunctions.parser.{name}")
        module.copy = _JSON_COPY


# -- 3. one compiled JSONPath per path -------------------------------------------------------
def cache_jsonpath_parsing() -> None:
    for module in (json_path, result_path):
        if not _patched(module.parse):
            module.parse = _mark(functools.lru_cache(maxsize=4096)(module.parse))


# -- 4. request routing and dispatch without recomputing constants per request ---------------
def cache_request_routing() -> None:
    if not _patched(backends.list_of_moto_modules):
        modules = tuple(backends.list_of_moto_modules())
        backends.list_of_moto_modules = _mark(lambda: modules)
    for module, name in ((core_responses, "method_names_from_class"), (core_responses, "camelcase_to_underscores"),
                         (sqs_models, "camelcase_to_underscores")):
        if not _patched(getattr(module, name)):
            # Pure functions of a class or a name; results are reused, never mutated.
            setattr(module, name, _mark(functools.lru_cache(maxsize=4096)(getattr(module, name))))
    original = DomainDispatcherApplication.get_backend_for_host
    if _patched(original):
        return
    routes: dict[str | None, Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        # Called under the application's lock; a host's backend never changes.
        if host not in routes:
            routes[host] = original(self, host)
        return routes[host]

    DomainDispatcherApplication.get_backend_for_host = _mark(get_backend_for_host)


# -- 5. request ids drawn in one call -------------------------------------------------------------
def draw_random_strings_at_once() -> None:
    """Every response carries a 52-character request id, drawn one ``choice`` call per character;
    ``choices`` draws them in one call (same alphabet, same seeded generator)."""
    if _patched(MotoRandom.get_random_string):
        return

    def get_random_string(self: MotoRandom, length: int = 20, include_digits: bool = True,
                          lower_case: bool = False) -> str:
        pool = string.ascii_letters + (string.digits if include_digits else "")
        drawn = "".join(self.choices(pool, k=length))
        return drawn.lower() if lower_case else drawn

    MotoRandom.get_random_string = _mark(get_random_string)


# -- 6. SQS's clock read without building datetimes --------------------------------------------
def read_the_sqs_clock_directly() -> None:
    original = sqs_models.unix_time_millis
    if _patched(original):
        return

    def unix_time_millis(dt: Any = None) -> float:
        # moto's own: (dt or utcnow()) - utcfromtimestamp(0), in milliseconds.
        return time.time() * 1000.0 if dt is None else original(dt)

    sqs_models.unix_time_millis = _mark(unix_time_millis)


def assert_hooks_present() -> None:
    checks = {
        "ExecutionWorker._get_evaluation_entrypoint parses the definition":
            "AmazonStateLanguageParser.parse" in inspect.getsource(ExecutionWorker._get_evaluation_entrypoint)
            or _patched(ExecutionWorker._get_evaluation_entrypoint),
        "json_path.extract_json compiles with parse()": "parse(path)" in inspect.getsource(json_path.extract_json),
        "ResultPath compiles with parse()": "parse(self.result_path_src)" in inspect.getsource(result_path.ResultPath),
        "the interpreter copies state data with copy.deepcopy": all(
            "copy.deepcopy(" in inspect.getsource(importlib.import_module(f"moto.stepfunctions.parser.{name}"))
            for name in _COPYING_MODULES),
        "moto's responses look up actions with method_names_from_class and camelcase_to_underscores":
            "method_names_from_class(self.__class__)" in inspect.getsource(core_responses.BaseResponse.call_action)
            and hasattr(sqs_models, "camelcase_to_underscores"),
        "the request router reads backends.list_of_moto_modules()":
            "backends.list_of_moto_modules()" in inspect.getsource(DomainDispatcherApplication),
        "EvalComponent.heap_key is drawn lazily": isinstance(inspect.getattr_static(EvalComponent, "heap_key"),
                                                             property),
        "MotoRandom.get_random_string(length, include_digits, lower_case)":
            list(inspect.signature(MotoRandom.get_random_string).parameters)
            == ["self", "length", "include_digits", "lower_case"],
        "SQS messages read the clock with sqs.models.unix_time_millis(), moto's utcnow() in ms":
            "unix_time_millis()" in inspect.getsource(sqs_models.Message.visible.fget)
            and "unix_time_millis()" in inspect.getsource(sqs_models.Message.delayed.fget)
            and (_patched(sqs_models.unix_time_millis) or sqs_models.unix_time_millis is core_utils.unix_time_millis)
            and "unix_time(dt) * 1000" in inspect.getsource(core_utils.unix_time_millis)
            and "utcnow()" in inspect.getsource(core_utils.unix_time),
    }
    missing = [what for what, present in checks.items() if not present]
    if missing:
        raise RuntimeError(f"moto moved what imgfan.local.moto.speedups patches: {'; '.join(missing)}")


def apply() -> None:
    assert_hooks_present()
    reuse_parsed_state_machines()
    copy_state_data_as_json()
    cache_jsonpath_parsing()
    cache_request_routing()
    draw_random_strings_at_once()
    read_the_sqs_clock_directly()
