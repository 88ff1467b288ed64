"""The Imgfan stack: buckets, queue + DLQ, four functions, the shared layer, two state machines
(renders, and deletes: each execution pays only for the states of its own kind), the presets
parameter, alarms and outputs. IAM is written out statement by statement so the
tests can assert least privilege exactly (CDK's ``grant_*`` helpers add wildcard actions)."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from imgfan_core.errors import CRASH_ERROR_NAMES, PERMANENT_ERROR_NAMES, TRANSIENT_ERROR_NAMES
from imgfan_core.presets import PresetsConfig
from imgfan_core.stack_names import Output

from infra.alarms import add_alarms, alarm_topic
from infra.cdn import add_cdn
from infra.bundling import function_code, layer_code
from infra.retry import HISTORY_EVENT_LIMIT, TransientRetry
from infra.settings import RETENTION_NAMES, Settings, SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent
ASL_FILE = REPO_ROOT / "statemachine" / "imgfan.asl.json"
DELETE_ASL_FILE = REPO_ROOT / "statemachine" / "delete.asl.json"
FUNCTIONS_DIR = REPO_ROOT / "functions"
SSM_STANDARD_TIER_LIMIT = 4096
BATCH_WINDOW_S = 1


def notification_filters(presets: PresetsConfig) -> list[s3.NotificationKeyFilter]:
    """One filter per suffix spelling. S3 suffix filters are case-sensitive, so each suffix is
    matched in lower and upper case (``photo.JPG`` from cameras); mixed case is not matched."""
    prefix = presets.source.prefix or None
    suffixes = sorted({spelling for s in presets.source.suffixes for spelling in (s.lower(), s.upper())})
    if not suffixes:
        return [s3.NotificationKeyFilter(prefix=prefix)] if prefix else [s3.NotificationKeyFilter()]
    return [s3.NotificationKeyFilter(prefix=prefix, suffix=suffix) for suffix in suffixes]


class ImgfanStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, presets: PresetsConfig,
                 presets_text: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.presets = presets
        self.key = self._kms_key() if settings.kms_key else None
        self.access_logs_bucket = self._access_logs_bucket() if settings.access_logs else None
        self.source_bucket = self._data_bucket("SourceBucket", presets.source.bucket)
        self.output_bucket = self._data_bucket("OutputBucket", presets.output.bucket)
        self.source_objects = self.source_bucket.arn_for_objects(f"{presets.source.prefix}*")
        self.output_objects = self.output_bucket.arn_for_objects(f"{presets.output.prefix}*")

        self.presets_parameter = ssm.StringParameter(
            self, "PresetsParameter",
            parameter_name=f"/{self.stack_name}/presets",
            description="imgfan presets.json (imgfan presets push updates it without a redeploy)",
            string_value=presets_text,
            tier=ssm.ParameterTier.ADVANCED if len(presets_text.encode()) > SSM_STANDARD_TIER_LIMIT
            else ssm.ParameterTier.STANDARD,
        )
        self.dead_letter_queue, self.queue = self._queues()
        self.layer = lambda_.LayerVersion(
            self, "CoreLayer",
            code=layer_code(),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_12],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="imgfan_core + Pillow, pillow-heif, Powertools, pydantic (linux/arm64, cp312)",
        )
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.dispatcher = self._function("dispatcher", "Dispatcher")
        self.resizer = self._function("resizer", "Resizer")
        self.finalizer = self._function("finalizer", "Finalizer")
        self.cleaner = self._function("cleaner", "Cleaner")
        self.state_machine = self._render_state_machine()
        self.delete_state_machine = self._delete_state_machine()
        self._permissions()
        self._serving()
        self._wiring()
        self._alarms()
        self._outputs()

    # ---- storage ---------------------------------------------------------------------------
    def _kms_key(self) -> kms.Key:
        return kms.Key(
            self, "DataKey",
            description="imgfan source and output buckets",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _bucket_removal(self) -> dict:
        if self.settings.destroy_buckets:
            return {"removal_policy": RemovalPolicy.DESTROY, "auto_delete_objects": True}
        return {"removal_policy": RemovalPolicy.RETAIN}

    def _access_logs_bucket(self) -> s3.Bucket:
        return s3.Bucket(
            self, "AccessLogsBucket",
            # S3 server access logging can only deliver to SSE-S3 buckets, even when data uses KMS.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(90))],
            **self._bucket_removal(),
        )

    def _data_bucket(self, construct_id: str, existing_name: str | None) -> s3.IBucket:
        if existing_name:
            # presets.json names a bucket that already exists: use it, do not own it.
            return s3.Bucket.from_bucket_name(self, construct_id, existing_name)
        encryption = (
            {"encryption": s3.BucketEncryption.KMS, "encryption_key": self.key, "bucket_key_enabled": True}
            if self.key else {"encryption": s3.BucketEncryption.S3_MANAGED}
        )
        logging = (
            {"server_access_logs_bucket": self.access_logs_bucket,
             "server_access_logs_prefix": f"{construct_id}/"}
            if self.access_logs_bucket else {}
        )
        return s3.Bucket(
            self, construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            **encryption,
            **logging,
            **self._bucket_removal(),
        )

    def _queues(self) -> tuple[sqs.Queue, sqs.Queue]:
        dlq = sqs.Queue(
            self, "DeadLetterQueue",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        dispatcher_timeout = self.settings.functions["dispatcher"].timeout_s
        queue = sqs.Queue(
            self, "EventQueue",
            # AWS guidance for Lambda event sources: at least 6x the function timeout (+ batching window).
            visibility_timeout=Duration.seconds(6 * dispatcher_timeout + BATCH_WINDOW_S),
            # SQS's longest: a large backfill's backlog (10 M messages take ~17 h at Standard's
            # StartExecution quota) must outlast a dispatcher paused for days, not 4 (the default).
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=5),
        )
        return dlq, queue

    # ---- compute ---------------------------------------------------------------------------
    def _function(self, name: str, construct_id: str) -> lambda_.Function:
        config = self.settings.functions[name]
        log_group = logs.LogGroup(
            self, f"{construct_id}Logs",
            retention=_retention(self.settings.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.log_groups[name] = log_group
        role = iam.Role(
            self, f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"imgfan {name}: least privilege, no managed policies",
        )
        # Instead of AWSLambdaBasicExecutionRole (any log group): only this function's group.
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        ))
        environment = {
            "POWERTOOLS_SERVICE_NAME": f"imgfan-{name}",
            "POWERTOOLS_METRICS_NAMESPACE": "Imgfan",
            "LOG_LEVEL": self.settings.log_level,
            "POWERTOOLS_LOG_LEVEL": self.settings.log_level,
            "OUTPUT_BUCKET": self.output_bucket.bucket_name,
        }
        return lambda_.Function(
            self, construct_id,
            description=f"imgfan {name}",
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=function_code(FUNCTIONS_DIR / name),
            layers=[self.layer],
            memory_size=config.memory_mb,
            timeout=Duration.seconds(config.timeout_s),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
            environment=environment,
        )

    def _render_state_machine(self) -> sfn.StateMachine:
        return self._state_machine("StateMachine", ASL_FILE, {
            "ResizerFunctionArn": self.resizer.function_arn,
            "FinalizerFunctionArn": self.finalizer.function_arn,
            "MaxConcurrency": str(self.presets.max_concurrency),
            "PermanentErrors": json.dumps(list(PERMANENT_ERROR_NAMES)),
        })

    def _delete_state_machine(self) -> sfn.StateMachine:
        # Deletes have a state machine of their own: a state machine starts where StartAt says
        # whatever the input, so one machine for both needs a Choice that every upload pays for
        # (a billed transition, https://aws.amazon.com/step-functions/pricing/).
        return self._state_machine("DeleteStateMachine", DELETE_ASL_FILE, {
            "CleanerFunctionArn": self.cleaner.function_arn,
        })

    def _state_machine(self, construct_id: str, asl_file: Path, substitutions: dict[str, str]) -> sfn.StateMachine:
        express = self.settings.workflow_type == "EXPRESS"
        log_options = None
        if express:
            # Express executions have no history in Step Functions; the console rebuilds it from
            # these logs, which needs level ALL with execution data.
            log_group = logs.LogGroup(
                self, f"{construct_id}Logs",
                # The render machine's group keeps the name it had before deletes moved out.
                log_group_name=Fn.join("", ["/aws/vendedlogs/states/", Aws.STACK_NAME, "-",
                                            "" if construct_id == "StateMachine" else f"{construct_id}-",
                                            Fn.select(2, Fn.split("/", Aws.STACK_ID))]),
                retention=_retention(self.settings.log_retention_days),
                removal_policy=RemovalPolicy.DESTROY,
            )
            log_options = sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True)
        return sfn.StateMachine(
            self, construct_id,
            # The ASL file ships unchanged as an S3 asset (DefinitionS3Location); CloudFormation reads
            # it with the deployer's credentials, so the state machine role needs no access to it.
            # The ASL is not valid JSON before substitution (MaxConcurrency is an unquoted number, the
            # error lists unquoted arrays: imgfan_core.errors holds them, once).
            definition_body=sfn.DefinitionBody.from_file(str(asl_file)),
            definition_substitutions=substitutions | self._retry_substitutions(),
            state_machine_type=sfn.StateMachineType.EXPRESS if express else sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=log_options,
        )

    def _retry_substitutions(self) -> dict[str, str]:
        retry = self.transient_retry
        return {
            "TransientErrors": json.dumps(list(TRANSIENT_ERROR_NAMES)),
            "CrashErrors": json.dumps(list(CRASH_ERROR_NAMES)),
            "RetryMaxDelaySeconds": str(retry.max_delay_seconds),
            "RetryMaxAttempts": str(retry.max_attempts),
        }

    @property
    def transient_retry(self) -> TransientRetry:
        retry = TransientRetry.for_patience(self.settings.retry_patience_seconds, self.settings.retry_max_delay_seconds)
        presets = len(self.presets.presets)
        if retry.worst_case_events(presets) > HISTORY_EVENT_LIMIT:
            raise SettingsError(
                f"context retryPatienceMinutes: {retry.max_attempts} attempts for each of {presets} presets could "
                f"pass an execution history's {HISTORY_EVENT_LIMIT:,} events; raise retryMaxDelaySeconds "
                f"(now {retry.max_delay_seconds}) or lower the patience")
        return retry

    # ---- IAM ---------------------------------------------------------------------------------
    def _allow(self, fn: lambda_.Function, actions: list[str], resources: list[str], **conditions) -> None:
        fn.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=resources, **conditions))

    def _key_use(self, fn: lambda_.Function, actions: list[str]) -> None:
        if self.key is not None:
            self._allow(fn, actions, [self.key.key_arn])

    def _permissions(self) -> None:
        # Exactly the two state machines: renders for ObjectCreated, deletes for ObjectRemoved.
        self._allow(self.dispatcher, ["states:StartExecution"],
                    [self.state_machine.state_machine_arn, self.delete_state_machine.state_machine_arn])
        self._allow(self.dispatcher, ["ssm:GetParameter"], [self.presets_parameter.parameter_arn])

        self._allow(self.resizer, ["s3:GetObject", "s3:GetObjectVersion"], [self.source_objects])
        # A GET of a missing key answers 404 only to a caller with ListBucket, else 403; whether a
        # prefix-conditioned grant counts is not documented, so the code lists the key to tell a
        # deleted source (permanent) from a denial (storage.missing), which this grant allows.
        self._list_sources(self.resizer)
        self._allow(self.resizer, ["s3:PutObject"], [self.output_objects])
        overlays = sorted({p.overlay.image for p in self.presets.presets if p.overlay is not None
                           and not p.overlay.image.startswith(self.presets.source.prefix)})
        if overlays:
            # Overlay pictures outside the source prefix: exactly those keys, nothing around them.
            self._allow(self.resizer, ["s3:GetObject"], [self.source_bucket.arn_for_objects(k) for k in overlays])
        self._key_use(self.resizer, ["kms:Decrypt", "kms:GenerateDataKey"])

        # The finalizer replaces the manifest only while the source is the object it rendered
        # (a HEAD of the source), reads the manifest it replaces, and sweeps old generations.
        self._allow(self.finalizer, ["s3:GetObject"], [self.source_objects])
        self._list_sources(self.finalizer)
        self._allow(self.finalizer, ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [self.output_objects])
        self._list_outputs(self.finalizer)
        self._key_use(self.finalizer, ["kms:Decrypt", "kms:GenerateDataKey"])

        # A delete event may be late, or about an old version: the cleaner looks at the source key
        # (a HEAD) before it removes anything (imgfan_core.cleanup).
        self._allow(self.cleaner, ["s3:GetObject"], [self.source_objects])
        self._list_sources(self.cleaner)
        self._list_outputs(self.cleaner)
        self._allow(self.cleaner, ["s3:DeleteObject"], [self.output_objects])

        for fn in (self.finalizer, self.cleaner):
            self._allow(fn, ["events:PutEvents"], [self.event_bus_arn])

        # Each state machine invokes only its own functions.
        for fn in (self.resizer, self.finalizer):
            fn.grant_invoke(self.state_machine)
        self.cleaner.grant_invoke(self.delete_state_machine)

    def _list_sources(self, fn: lambda_.Function) -> None:
        self._allow(fn, ["s3:ListBucket"], [self.source_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{self.presets.source.prefix}*"]}})

    def _list_outputs(self, fn: lambda_.Function) -> None:
        self._allow(fn, ["s3:ListBucket"], [self.output_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{self.presets.output.prefix}*"]}})

    @property
    def event_bus_arn(self) -> str:
        bus = self.settings.event_bus
        if bus.startswith("arn:"):
            return bus
        return self.format_arn(service="events", resource="event-bus", resource_name=bus)

    def _serving(self) -> None:
        """Where manifests and events point: the CDN when there is one (presets can override)."""
        self.distribution = None
        public_base_url = ""
        if self.settings.cdn:
            self.distribution = add_cdn(self, self.output_bucket, self.settings.cdn_cors_origins)
            public_base_url = Fn.join("", ["https://", self.distribution.distribution_domain_name])
        for fn in (self.finalizer, self.cleaner):
            fn.add_environment("EVENT_BUS_NAME", self.settings.event_bus)
            fn.add_environment("PUBLIC_BASE_URL", public_base_url)

    def _wiring(self) -> None:
        destination = s3n.SqsDestination(self.queue)
        for key_filter in notification_filters(self.presets):
            self.source_bucket.add_event_notification(s3.EventType.OBJECT_CREATED, destination, key_filter)
            self.source_bucket.add_event_notification(s3.EventType.OBJECT_REMOVED, destination, key_filter)
        # Consuming the queue (receive, delete, change visibility, attributes) is granted by the
        # event source itself, with named actions only.
        self.dispatcher.add_event_source(event_sources.SqsEventSource(
            self.queue,
            batch_size=10,
            max_batching_window=Duration.seconds(BATCH_WINDOW_S),
            report_batch_item_failures=True,
            # A burst then queues in SQS instead of turning into throttled StartExecution calls
            # (docs/capacity.md).
            max_concurrency=self.settings.dispatcher_max_concurrency,
        ))
        self.dispatcher.add_environment("STATE_MACHINE_ARN", self.state_machine.state_machine_arn)
        self.dispatcher.add_environment("DELETE_STATE_MACHINE_ARN", self.delete_state_machine.state_machine_arn)
        self.dispatcher.add_environment("PRESETS_PARAMETER_NAME", self.presets_parameter.parameter_name)
        self.dispatcher.add_environment("PRESETS_CACHE_SECONDS", str(self.settings.presets_cache_seconds))

    # ---- operations ------------------------------------------------------------------------
    def _alarms(self) -> None:
        self.alarms = add_alarms(
            self,
            dead_letter_queue=self.dead_letter_queue,
            state_machine=self.state_machine,
            delete_state_machine=self.delete_state_machine,
            resizer=self.resizer,
            resizer_error_threshold=self.settings.resizer_error_threshold,
            bad_upload_threshold=self.settings.bad_upload_threshold,
            topic=alarm_topic(self, self.settings.alarm_topic_arn, self.settings.alarm_email),
        )

    def _outputs(self) -> None:
        arn = self.state_machine.state_machine_arn
        outputs = {
            Output.SOURCE_BUCKET: self.source_bucket.bucket_name,
            Output.OUTPUT_BUCKET: self.output_bucket.bucket_name,
            Output.QUEUE_URL: self.queue.queue_url,
            Output.DEAD_LETTER_QUEUE_URL: self.dead_letter_queue.queue_url,
            Output.STATE_MACHINE_ARN: arn,
            Output.DELETE_STATE_MACHINE_ARN: self.delete_state_machine.state_machine_arn,
            Output.PRESETS_PARAMETER: self.presets_parameter.parameter_name,
            Output.CONSOLE_URL: Fn.join("", [
                "https://", Aws.REGION, ".console.aws.amazon.com/states/home?region=", Aws.REGION,
                "#/statemachines/view/", arn,
            ]),
        }
        if self.distribution is not None:
            outputs[Output.CDN_DOMAIN_NAME] = self.distribution.distribution_domain_name
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)


def _retention(days: int) -> logs.RetentionDays:
    # jsii enums carry member names, not day counts.
    return logs.RetentionDays[RETENTION_NAMES[days]]
