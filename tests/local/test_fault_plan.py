"""The fault plan (what `imgfan local up --faults` and IMGFAN_FAULTS accept) and its seeded dice."""

from __future__ import annotations

import random

import pytest

from imgfan.cli import main
from imgfan.local.faults import FaultInjector, FaultPlan, FaultSpecError


def test_a_spec_sets_each_switch_and_round_trips():
    plan = FaultPlan.parse("kill=0.05, s3-error=0.5,functions=Resizer+Finalizer,latency-seconds=0.25,seed=7")
    assert (plan.kill, plan.s3_error, plan.functions, plan.latency_seconds, plan.seed) == (
        0.05, 0.5, ("Resizer", "Finalizer"), 0.25, 7)
    assert plan.lambda_error == 0 and plan.duplicate == 0
    assert FaultPlan.parse(plan.to_spec()) == plan


@pytest.mark.parametrize("spec", ["", "none", "  ", None])
def test_an_empty_spec_injects_nothing(spec):
    plan = FaultPlan.parse(spec)
    assert plan == FaultPlan()
    assert not plan.active
    assert plan.to_spec() == "none"


@pytest.mark.parametrize(("spec", "message"), [
    ("kil=0.1", "unknown fault switch 'kil'; did you mean 'kill'?"),
    ("wobble=0.1", "unknown fault switch 'wobble'; the switches are lambda-error, "),
    ("kill", "fault switch kill needs a value, as in kill=0.05"),
    ("kill=5", "fault switch kill must be a fraction between 0 and 1, got '5'"),
    ("duplicate=lots", "fault switch duplicate must be a fraction between 0 and 1, got 'lots'"),
    ("seed=x", "fault switch seed must be a whole number, got 'x'"),
    ("latency-seconds=-1", "fault switch latency-seconds must be between 0 and 900, got '-1'"),
])
def test_a_bad_spec_is_refused_with_the_switch_and_the_fix(spec, message):
    with pytest.raises(FaultSpecError) as raised:
        FaultPlan.parse(spec)
    assert str(raised.value).startswith(message)


def test_the_nth_decision_is_the_nth_draw_of_the_switch_s_own_seeded_stream():
    injector = FaultInjector(FaultPlan.parse("kill=0.3,idle-kill=0.6,seed=11"))
    decisions = []
    for _ in range(200):
        decisions.append(injector.roll("kill", "any"))
        injector.roll("idle-kill", "any")  # another switch's rolls do not shift this one's
    stream = random.Random("11/kill")
    expected = [stream.random() < 0.3 for _ in range(200)]
    assert decisions == expected
    assert injector.injected()["kill"] == sum(expected)


def test_a_new_plan_restarts_the_streams_and_counts_keep_adding_up():
    injector = FaultInjector(FaultPlan.parse("duplicate=0.5,seed=3"))
    first = [injector.roll("duplicate") for _ in range(50)]
    injector.set_plan(FaultPlan.parse("duplicate=0.5,seed=3"))
    again = [injector.roll("duplicate") for _ in range(50)]
    assert first == again
    assert injector.injected() == {"duplicate": 2 * sum(first)}


def test_rates_of_zero_and_one_and_the_function_filter():
    injector = FaultInjector(FaultPlan.parse("kill=1,s3-error=0,functions=resizer"))
    assert all(injector.roll("kill", "Imgfan-ResizerC2DB078C-X") for _ in range(20))
    assert not any(injector.roll("kill", "Imgfan-DispatcherD4A-X") for _ in range(20))
    assert not any(injector.roll("s3-error", "Imgfan-ResizerC2DB078C-X") for _ in range(20))
    assert injector.injected() == {"kill": 20}


def test_local_up_refuses_a_bad_plan_from_the_flag_or_the_environment(capsys, monkeypatch):
    with pytest.raises(SystemExit) as exited:
        main(["local", "up", "--faults", "kil=0.1"])
    assert exited.value.code == 2
    assert "argument --faults: unknown fault switch 'kil'; did you mean 'kill'?" in capsys.readouterr().err

    monkeypatch.setenv("IMGFAN_FAULTS", "kill=2")
    with pytest.raises(SystemExit):
        main(["local", "up"])
    assert "fault switch kill must be a fraction between 0 and 1, got '2'" in capsys.readouterr().err


def test_local_up_takes_the_plan_from_the_flag_before_the_environment(monkeypatch):
    from imgfan.cli import build_parser

    monkeypatch.setenv("IMGFAN_FAULTS", "duplicate=0.5")
    assert build_parser("local").parse_args(["local", "up"]).faults == FaultPlan(duplicate=0.5)
    given = build_parser("local").parse_args(["local", "up", "--faults", "kill=0.1,seed=3"])
    assert given.faults == FaultPlan(kill=0.1, seed=3)
    monkeypatch.delenv("IMGFAN_FAULTS")
    assert build_parser("local").parse_args(["local", "up"]).faults == FaultPlan()


def test_missing_key_403_is_a_rate_for_the_named_functions_like_the_other_function_switches():
    plan = FaultPlan.parse("missing-key-403=1,functions=Finalizer")
    assert plan.missing_key_403 == 1 and FaultPlan.parse(plan.to_spec()) == plan
    injector = FaultInjector(plan)
    assert injector.roll("missing-key-403", "Imgfan-Finalizer7E8242E4-X")
    assert not injector.roll("missing-key-403", "Imgfan-ResizerC2DB078C-X")
    with pytest.raises(FaultSpecError, match="missing-key-403 must be a fraction"):
        FaultPlan.parse("missing-key-403=yes")
