"""Context settings of the repository's stack: the construct's options (imgfan.cdk.options) plus
what the stack decides around it (the presets file, a KMS key, the alarm topic, cdk-nag).

Every setting can be given as ``--context key=value`` (``cdk`` or ``imgfan synth``) or in
``cdk.json``. A key that is not a setting is refused: a misspelt ``workflowtype`` would otherwise
deploy the default.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from imgfan.cdk.options import Flag, Options, SettingsError, whole

__all__ = ["RETENTION_NAMES", "Settings", "SettingsError", "read_settings"]

# CloudWatch Logs accepts only these retention periods (days -> aws_logs.RetentionDays member).
RETENTION_NAMES = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}
# Context keys that CDK itself puts next to ours, besides feature flags ('@...') and keys with a
# ':' (its own switches such as aws:cdk:version-reporting, and cached lookups): what
# `cdk acknowledge` and `cdk cli-telemetry` store in cdk.context.json, which the CDK CLI passes on.
CDK_KEYS = frozenset({"acknowledged-issue-numbers", "cli-telemetry"})




def _email(value: Any) -> str:
    if "@" not in str(value):
        raise ValueError(f"expected an e-mail address, got {value!r}")
    return str(value)


def _sns_topic_arn(value: Any) -> str:
    if not str(value).startswith("arn:"):
        raise ValueError(f"expected an SNS topic ARN, got {value!r}")
    return str(value)


def _cloudwatch_retention(days: int) -> int:
    if days not in RETENTION_NAMES:
        raise ValueError(f"CloudWatch accepts {', '.join(map(str, RETENTION_NAMES))}")
    return days


def _event_bus(value: Any) -> str:
    text = str(value).strip()
    if not text or (not text.startswith("arn:") and "/" in text):
        raise ValueError(f"expected an EventBridge bus name (e.g. default) or a bus ARN, got {value!r}")
    return text


class Settings(Options):
    """Field names are the context keys in snake_case (``workflow_type`` is ``workflowType``)."""

    # Context keys are camelCase only: a snake_case key is a mistake to report, not a synonym.
    # pydantic merges a subclass's config into its parent's, so only the change is spelled out.
    model_config = ConfigDict(populate_by_name=False)

    presets_file: Annotated[Path, BeforeValidator(str)] = Field(Path("presets.json"), validate_default=True)
    kms_key: Flag = False
    alarm_email: Annotated[str | None, BeforeValidator(_email)] = None
    alarm_topic_arn: Annotated[str | None, BeforeValidator(_sns_topic_arn)] = Field(None, alias="alarmTopic")
    log_retention_days: Annotated[int, whole(1, 3653), AfterValidator(_cloudwatch_retention)] = 30
    destroy_buckets: Flag = False
    nag: Flag = False
    # The completion events' bus: a name in the stack's account and region, or a bus ARN.
    event_bus: Annotated[str, BeforeValidator(_event_bus)] = "default"

    @field_validator("presets_file")
    @classmethod
    def _relative_to_cwd(cls, path: Path, info: ValidationInfo) -> Path:
        if path.is_absolute():
            return path
        if info.context is None:
            raise TypeError("validate Settings with context={'cwd': ...}: presetsFile is relative to it")
        return info.context["cwd"] / path

    def options(self) -> dict[str, Any]:
        """The construct's keyword arguments among these settings."""
        return {name: getattr(self, name) for name in Options.model_fields}


SETTING_KEYS = tuple(sorted(field.alias for field in Settings.model_fields.values() if field.alias))


def belongs_to_cdk(key: str) -> bool:
    return key.startswith("@") or ":" in key or key in CDK_KEYS


def _did_you_mean(key: str) -> str:
    # Compared in lower case, so a miscased key (workflowtype) finds its setting.
    by_lower = {name.lower(): name for name in SETTING_KEYS}
    close = difflib.get_close_matches(key.lower(), by_lower, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{by_lower[close[0]]}'?"
    return f"the settings are {', '.join(SETTING_KEYS)} (docs/deploy/settings.md)"


def _describe(error: ErrorDetails) -> str:
    key = error["loc"][0]
    if error["type"] == "extra_forbidden":
        return f"context {key}: not a setting of this stack; {_did_you_mean(str(key))}"
    if error["type"] == "value_error":
        return f"context {key}: {error['ctx']['error']}"
    return f"context {key}: {error['msg']}"


def read_settings(context: Mapping[str, Any], cwd: Path) -> Settings:
    """``context`` is the app's whole context (``app.node.get_all_context()``): CDK's own keys are
    skipped and every other key must be a setting. A relative presetsFile is relative to ``cwd``.

    SettingsError has one line per problem, each naming the key.
    """
    given = {
        key: value for key, value in context.items()
        # null in cdk.json leaves a setting at its default, as if it were absent.
        if not belongs_to_cdk(key) and (value is not None or key not in SETTING_KEYS)
    }
    try:
        return Settings.model_validate(given, context={"cwd": cwd})
    except ValidationError as exc:
        raise SettingsError("\n".join(_describe(error) for error in exc.errors())) from None
