"""The repository's own stack: one ``ImageVariants`` and what the context settings add around it
(a KMS key for the buckets, the alarm topic). The construct's id is ``Default``, so every resource
keeps the logical id it had when the stack built them itself: an update replaces nothing."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from imgfan.cdk import ImageVariants
from imgfan.cdk.alarms import alarm_topic
from imgfan.cdk.construct import TRANSPARENT_ID
from infra.settings import RETENTION_NAMES, Settings


class ImgfanStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        key = kms.Key(
            self, "DataKey",
            description="imgfan source and output buckets",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        ) if settings.kms_key else None
        self.images = ImageVariants(
            self, TRANSPARENT_ID,
            presets=settings.presets_file,
            encryption_key=key,
            event_bus=settings.event_bus,
            alarm_topic=alarm_topic(self, settings.alarm_topic_arn, settings.alarm_email),
            # jsii enums carry member names, not day counts.
            log_retention=logs.RetentionDays[RETENTION_NAMES[settings.log_retention_days]],
            removal_policy=RemovalPolicy.DESTROY if settings.destroy_buckets else RemovalPolicy.RETAIN,
            **settings.options(),
        )
