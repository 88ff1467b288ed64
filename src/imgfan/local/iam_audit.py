"""Is every call a function makes allowed by its own role? Recorded per call, as a test oracle.

The policies are the deployed ones: the role's documents in moto's IAM backend (read by
``imgfan.local.moto.iam``), which CloudFormation created from the synthesized template with
every intrinsic function resolved.
A request maps to authorizations with ``iam_calls``; each is evaluated as IAM evaluates an
identity policy in one account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny wins, else an Allow whose Action, Resource and Condition all match, else an
implicit deny. Action and Resource matching is moto's own (``IAMPolicyStatement``). Conditions
are not: moto 5.2.5 evaluates only ``StringEquals``, passes every other operator, and turns an
Allow whose condition fails into an explicit Deny, which would deny the finalizer's listing of
the output bucket because its statement for the source bucket has another prefix. So
:func:`conditions_hold` evaluates the operators the stack's template uses, and refuses any other.

A denial is recorded (``GET /_imgfan/faults`` answers them as ``denied``); the request still
reaches moto unless ``enforce`` is on, when it is answered 403 ``AccessDenied`` as AWS would.
"""

from __future__ import annotations

import io
import re
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from imgfan.local.api_faults import ApiFault
from imgfan.local.iam_calls import Call, WireRequest, calls_of, needs_body
from imgfan.local.moto.iam import action_and_resource_effect, role_documents


class PolicyNotUnderstood(ValueError):
    """A statement uses an element or operator this evaluator does not implement."""


@dataclass(frozen=True)
class Denial:
    function: str
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    reason: str = "no statement of the role allows it"

    def describe(self) -> str:
        keys = "".join(f" ({name}={value!r})" for name, value in self.context)
        return f"{self.function} may not {self.action} on {self.resource}{keys}: {self.reason}"

    def as_json(self) -> dict[str, Any]:
        return {"function": self.function, "action": self.action, "resource": self.resource,
                "context": dict(self.context), "reason": self.reason}


# ---- evaluation ---------------------------------------------------------------------------------


def _like(pattern: str, value: str) -> bool:
    # IAM's wildcards: * any run of characters, ? one character; everything else literal, case kept.
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.DOTALL) is not None


_OPERATORS = {"StringLike": _like, "StringEquals": lambda expected, value: expected == value}


def conditions_hold(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """Every operator's every key must match one of its values; a key the request lacks fails
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html)."""
    keys = {name.lower(): value for name, value in context.items()}  # key names are case-insensitive
    for operator, tests in condition.items():
        compare = _OPERATORS.get(operator)
        if compare is None:
            raise PolicyNotUnderstood(f"condition operator {operator} is not evaluated by imgfan's IAM audit")
        for key, expected in tests.items():
            values = expected if isinstance(expected, list) else [expected]
            if any("${" in str(v) for v in values):
                raise PolicyNotUnderstood(f"policy variables in {key} are not evaluated by imgfan's IAM audit")
            actual = keys.get(key.lower())
            if actual is None or not any(compare(str(v), actual) for v in values):
                return False
    return True


def statement_effect(statement: dict[str, Any], call: Call) -> str | None:
    """"Allow" or "Deny" if the statement applies to the call, else None."""
    if {"NotResource", "NotPrincipal", "Principal"} & statement.keys():
        raise PolicyNotUnderstood(f"statement {statement.get('Sid', '')!r} uses an element the audit does not evaluate")
    if "Condition" in statement and not conditions_hold(statement["Condition"], call.context):
        return None
    return action_and_resource_effect(statement, call.action, call.resource)


def is_allowed(documents: list[dict[str, Any]], call: Call) -> bool:
    effects = set()
    for document in documents:
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            effects.add(statement_effect(statement, call))
    return "Allow" in effects and "Deny" not in effects


# ---- the audit --------------------------------------------------------------------------------------

ACCESS_DENIED = {"s3": ApiFault(403, "AccessDenied", "Access Denied (imgfan IAM audit)", "rest-xml"),
                 "lambda": ApiFault(403, "AccessDeniedException", "Access denied (imgfan IAM audit)", "rest-json")}
ACCESS_DENIED_JSON = ApiFault(400, "AccessDeniedException", "Access denied (imgfan IAM audit)", "json")


class IamAudit:
    """Checks the calls of function-signed requests against the function's role; keeps denials."""

    def __init__(self, account: str, region: str, enforce: bool = False, keep: int = 1000):
        self.account, self.region, self.enforce = account, region, enforce
        self._lock = threading.Lock()
        self._denials: deque[tuple[int, Denial]] = deque(maxlen=keep)
        self.total = 0  # denials ever recorded: the sequence number of the newest

    def check(self, environ: dict[str, Any], function: str, service: str) -> ApiFault | None:
        """Record the request's denials; the 403 to answer instead of moto when enforcing."""
        try:
            calls = calls_of(wire_request(environ, service), self.account, self.region)
        except Exception as exc:  # noqa: BLE001 - a bug of the audit must not fail the function's call
            calls = [Call(f"{service}:?", environ.get("PATH_INFO", ""), {"audit-error": repr(exc)})]
        denials = self.denials_of(function, calls)
        for denial in denials:
            self._record(denial)
        if denials and self.enforce:
            return ACCESS_DENIED.get(service, ACCESS_DENIED_JSON)
        return None

    def denials_of(self, function: str, calls: list[Call]) -> list[Denial]:
        try:
            documents = role_documents(function, self.account, self.region)
        except Exception as exc:  # noqa: BLE001 - a role the audit cannot read allows nothing it can show
            return [_denial(function, call, f"its role's policies could not be read: {exc!r}") for call in calls]
        denials = []
        for call in calls:
            try:
                if not is_allowed(documents, call):
                    denials.append(_denial(function, call))
            except PolicyNotUnderstood as exc:
                denials.append(_denial(function, call, str(exc)))
        return denials

    def _record(self, denial: Denial) -> None:
        with self._lock:
            self.total += 1
            self._denials.append((self.total, denial))

    def since(self, seen: int) -> tuple[int, list[Denial]]:
        """(how many were ever recorded, those kept that came after the first ``seen``)."""
        with self._lock:
            return self.total, [denial for number, denial in self._denials if number > seen]

    def snapshot(self) -> list[dict[str, Any]]:
        return [denial.as_json() for denial in self.since(0)[1]]


def _denial(function: str, call: Call, reason: str | None = None) -> Denial:
    context = tuple(sorted(call.context.items()))
    return Denial(function, call.action, call.resource, context, *([reason] if reason else []))


def wire_request(environ: dict[str, Any], service: str) -> WireRequest:
    """The request's parts, reading its body only when it names what is authorized; the body is
    put back for moto."""
    headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = environ[name]
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    # werkzeug's PATH_INFO is decoded as latin-1; the raw URI keeps non-ASCII keys intact.
    path = unquote(raw.split("?", 1)[0]) if raw else environ.get("PATH_INFO", "")
    query_string = environ.get("QUERY_STRING", "")
    body = b""
    if needs_body(environ.get("REQUEST_METHOD", ""), query_string, headers):
        body = _read_and_restore(environ)
    return WireRequest(service, environ.get("REQUEST_METHOD", ""), path,
                       parse_qs(query_string, keep_blank_values=True), headers, body, headers.get("host", ""))


def _read_and_restore(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    body = stream.read(int(length)) if length else (stream.read() if environ.get("wsgi.input_terminated") else b"")
    environ["wsgi.input"] = io.BytesIO(body)
    return body
