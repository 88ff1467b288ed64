"""``ImageVariants``: the whole pipeline as one CDK construct, for any Python CDK app.

Buckets (created, or the app's own), queue + DLQ, four functions, the shared layer, two state
machines (renders, and deletes: each execution pays only for the states of its own kind), the
presets parameter, alarms and outputs. IAM is written out statement by statement so the tests can
assert least privilege exactly (CDK's ``grant_*`` helpers add wildcard actions).

Created with the id ``"Default"`` (as the repository's own stack does), every resource keeps the
logical id it would have directly in the stack: CDK leaves ``Default`` out of logical ids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from imgfan.cdk.alarms import add_alarms
from imgfan.cdk.assets import DELETE_ASL_FILE, FUNCTIONS_DIR, RENDER_ASL_FILE
from imgfan.cdk.bundling import function_code, layer_code
from imgfan.cdk.cdn import add_cdn
from imgfan.cdk.nag import apply_suppressions
from imgfan.cdk.options import Options, SettingsError, read_options
from imgfan.cdk.presets_source import effective_presets
from imgfan.cdk.retry import HISTORY_EVENT_LIMIT, TransientRetry
from imgfan.cdk.trigger import TRIGGERS, forward_bucket_events
from imgfan_core.errors import CRASH_ERROR_NAMES, PERMANENT_ERROR_NAMES, TRANSIENT_ERROR_NAMES
from imgfan_core.presets import PresetsConfig
from imgfan_core.stack_names import Output

SSM_STANDARD_TIER_LIMIT = 4096
BATCH_WINDOW_S = 1
# The construct id that leaves logical ids, the parameter name and the outputs as they would be
# directly in the stack (CDK omits "Default" from logical ids).
TRANSPARENT_ID = "Default"
SERVER_ACCESS_LOGS_FLAG = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


class ImageVariants(Construct):
    """Every upload to ``source_bucket`` (under the presets' source prefix) becomes one variant per
    preset in ``output_bucket`` plus a manifest; see docs/deploy/construct.md for each argument.

    Settings left at ``None`` take the defaults of :class:`imgfan.cdk.options.Options`.
    """

    def __init__(self, scope: Construct, construct_id: str, *,
                 presets: str | Path | PresetsConfig = "presets.json",
                 source_bucket: s3.IBucket | None = None, source_prefix: str | None = None,
                 source_key: kms.IKey | None = None,
                 output_bucket: s3.IBucket | None = None, output_key: kms.IKey | None = None,
                 encryption_key: kms.IKey | None = None, trigger: str = "notifications",
                 event_bus: events.IEventBus | str = "default", alarm_topic: sns.ITopic | None = None,
                 log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
                 removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
                 permissions_boundary: iam.IManagedPolicy | None = None,
                 vpc: ec2.IVpc | None = None, vpc_subnets: ec2.SubnetSelection | None = None,
                 security_groups: Sequence[ec2.ISecurityGroup] | None = None, outputs: bool = True,
                 workflow_type: str | None = None, log_level: str | None = None, access_logs: bool | None = None,
                 cdn: bool | None = None, cdn_cors_origins: Sequence[str] | None = None,
                 dispatcher_memory: int | None = None, dispatcher_timeout: int | None = None,
                 resizer_memory: int | None = None, resizer_timeout: int | None = None,
                 finalizer_memory: int | None = None, finalizer_timeout: int | None = None,
                 cleaner_memory: int | None = None, cleaner_timeout: int | None = None,
                 resizer_error_threshold: int | None = None, bad_upload_threshold: int | None = None,
                 presets_cache_seconds: int | None = None, dispatcher_max_concurrency: int | None = None,
                 retry_patience_minutes: int | None = None, retry_max_delay_seconds: int | None = None) -> None:
        super().__init__(scope, construct_id)
        # Log delivery to the access-logs bucket through a bucket policy, not ACLs, so every bucket
        # keeps ACLs disabled; set here so that an app need not set the flag itself.
        self.node.set_context(SERVER_ACCESS_LOGS_FLAG, True)
        arguments = locals()
        self.options = read_options({name: arguments[name] for name in Options.model_fields})
        if trigger not in TRIGGERS:
            raise SettingsError(f"ImageVariants: trigger: expected one of {', '.join(TRIGGERS)}, got {trigger!r}")
        self.presets, self._presets_text = effective_presets(presets, source_bucket, source_prefix)
        self._removal_policy, self._log_retention = removal_policy, log_retention
        self._network = {"vpc": vpc, "vpc_subnets": vpc_subnets, "security_groups": security_groups} if vpc else {}
        self._build(source_bucket, output_bucket, encryption_key, source_key, output_key, event_bus)
        self._wiring(trigger)
        self._alarms(alarm_topic)
        if outputs:
            self._outputs()
        if permissions_boundary is not None:
            self._apply_boundary(permissions_boundary)
        apply_suppressions(self)

    def _build(self, source_bucket: s3.IBucket | None, output_bucket: s3.IBucket | None,
               encryption_key: kms.IKey | None, source_key: kms.IKey | None, output_key: kms.IKey | None,
               event_bus: events.IEventBus | str) -> None:
        self.encryption_key = encryption_key
        self.access_logs_bucket = (self._access_logs_bucket() if self.options.access_logs
                                   and not (source_bucket and output_bucket) else None)
        self.source_bucket = source_bucket or self._data_bucket("SourceBucket", self.presets.source.bucket)
        self.output_bucket = output_bucket or self._data_bucket("OutputBucket", self.presets.output.bucket)
        self.source_key = source_key or (encryption_key if source_bucket is None else None)
        self.output_key = output_key or (encryption_key if output_bucket is None else None)
        self.source_objects = self.source_bucket.arn_for_objects(f"{self.presets.source.prefix}*")
        self.output_objects = self.output_bucket.arn_for_objects(f"{self.presets.output.prefix}*")
        self.event_bus, self._event_bus_target = self._bus(event_bus)
        self.presets_parameter = self._presets_parameter()
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

    @property
    def functions(self) -> dict[str, lambda_.Function]:
        return {"dispatcher": self.dispatcher, "resizer": self.resizer, "finalizer": self.finalizer,
                "cleaner": self.cleaner}

    @property
    def in_vpc(self) -> bool:
        return bool(self._network)

    def grant_read_variants(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let an application role read the manifests and variants (s3:GetObject under the output
        prefix, and kms:Decrypt on the output bucket's key when it has one)."""
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=["s3:GetObject"],
                                           resource_arns=[self.output_objects])
        if self.output_key is not None:
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.output_key.key_arn]))
        return grant

    def _apply_boundary(self, boundary: iam.IManagedPolicy) -> None:
        """The boundary on every role this construct brings: its own, and CDK's bucket-notifications
        handler, which CDK keeps at the stack's top level (one per stack)."""
        iam.PermissionsBoundary.of(self).apply(boundary)
        stack = Stack.of(self)
        for child in stack.node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                iam.PermissionsBoundary.of(child).apply(boundary)

    def _name_part(self, separator: str) -> str:
        """'' for the transparent id, else the construct id and ``separator``: names of their own
        for a second ImageVariants in one stack."""
        return "" if self.node.id == TRANSPARENT_ID else f"{self.node.id}{separator}"

    def _presets_parameter(self) -> ssm.StringParameter:
        text = self._presets_text
        return ssm.StringParameter(
            self, "PresetsParameter",
            parameter_name=f"/{Stack.of(self).stack_name}/{self._name_part('/')}presets",
            description="imgfan presets.json (imgfan presets push updates it without a redeploy)",
            string_value=text,
            tier=ssm.ParameterTier.ADVANCED if len(text.encode()) > SSM_STANDARD_TIER_LIMIT
            else ssm.ParameterTier.STANDARD,
        )

    def _bus(self, event_bus: events.IEventBus | str) -> tuple[events.IEventBus, str]:
        """The completion events' bus, and what the functions name it by in PutEvents."""
        if not isinstance(event_bus, str):
            return event_bus, event_bus.event_bus_arn
        arn = event_bus if event_bus.startswith("arn:") else Stack.of(self).format_arn(
            service="events", resource="event-bus", resource_name=event_bus)
        return events.EventBus.from_event_bus_arn(self, "EventBus", arn), event_bus

    # ---- storage ---------------------------------------------------------------------------
    def _bucket_removal(self) -> dict:
        if self._removal_policy == RemovalPolicy.DESTROY:
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
            {"encryption": s3.BucketEncryption.KMS, "encryption_key": self.encryption_key, "bucket_key_enabled": True}
            if self.encryption_key else {"encryption": s3.BucketEncryption.S3_MANAGED}
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
        dispatcher_timeout = self.options.functions["dispatcher"].timeout_s
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
        config = self.options.functions[name]
        log_group = logs.LogGroup(
            self, f"{construct_id}Logs",
            retention=self._log_retention,
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
            "LOG_LEVEL": self.options.log_level,
            "POWERTOOLS_LOG_LEVEL": self.options.log_level,
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
            **self._network,
        )

    def _render_state_machine(self) -> sfn.StateMachine:
        return self._state_machine("StateMachine", RENDER_ASL_FILE, {
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
        express = self.options.workflow_type == "EXPRESS"
        log_options = None
        if express:
            # Express executions have no history in Step Functions; the console rebuilds it from
            # these logs, which needs level ALL with execution data.
            log_group = logs.LogGroup(
                self, f"{construct_id}Logs",
                # The render machine's group keeps the name it had before deletes moved out.
                log_group_name=Fn.join("", ["/aws/vendedlogs/states/", Aws.STACK_NAME, "-", self._name_part("-"),
                                            "" if construct_id == "StateMachine" else f"{construct_id}-",
                                            Fn.select(2, Fn.split("/", Aws.STACK_ID))]),
                retention=self._log_retention,
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
        retry = TransientRetry.for_patience(self.options.retry_patience_seconds, self.options.retry_max_delay_seconds)
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

    def _key_use(self, fn: lambda_.Function, *, source: list[str], output: list[str]) -> None:
        """KMS actions on the source bucket's key and the output bucket's key; one statement per key."""
        uses: dict[str, set[str]] = {}
        for key, actions in ((self.source_key, source), (self.output_key, output)):
            if key is not None and actions:
                uses.setdefault(key.key_arn, set()).update(actions)
        for key_arn, actions in uses.items():
            self._allow(fn, sorted(actions), [key_arn])

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
        # Reading a source needs only Decrypt; writing variants GenerateDataKey (Decrypt too for a
        # multipart upload, https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
        self._key_use(self.resizer, source=["kms:Decrypt"], output=["kms:Decrypt", "kms:GenerateDataKey"])

        # The finalizer replaces the manifest only while the source is the object it rendered
        # (a HEAD of the source), reads the manifest it replaces, and sweeps old generations.
        self._allow(self.finalizer, ["s3:GetObject"], [self.source_objects])
        self._list_sources(self.finalizer)
        self._allow(self.finalizer, ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [self.output_objects])
        self._list_outputs(self.finalizer)
        # The finalizer's reads of the source are HEADs, which S3 answers without the key.
        self._key_use(self.finalizer, source=[], output=["kms:Decrypt", "kms:GenerateDataKey"])

        # A delete event may be late, or about an old version: the cleaner looks at the source key
        # (a HEAD) before it removes anything (imgfan_core.cleanup).
        self._allow(self.cleaner, ["s3:GetObject"], [self.source_objects])
        self._list_sources(self.cleaner)
        self._list_outputs(self.cleaner)
        self._allow(self.cleaner, ["s3:DeleteObject"], [self.output_objects])

        for fn in (self.finalizer, self.cleaner):
            self._allow(fn, ["events:PutEvents"], [self.event_bus.event_bus_arn])

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

    def _serving(self) -> None:
        """Where manifests and events point: the CDN when there is one (presets can override)."""
        self.distribution = None
        public_base_url = ""
        if self.options.cdn:
            self.distribution = add_cdn(self, self.output_bucket, self.options.cdn_cors_origins)
            public_base_url = Fn.join("", ["https://", self.distribution.distribution_domain_name])
        for fn in (self.finalizer, self.cleaner):
            fn.add_environment("EVENT_BUS_NAME", self._event_bus_target)
            fn.add_environment("PUBLIC_BASE_URL", public_base_url)

    def _wiring(self, trigger: str) -> None:
        forward_bucket_events(self, trigger, self.source_bucket, self.presets.source, self.queue)
        # Consuming the queue (receive, delete, change visibility, attributes) is granted by the
        # event source itself, with named actions only.
        self.dispatcher.add_event_source(event_sources.SqsEventSource(
            self.queue,
            batch_size=10,
            max_batching_window=Duration.seconds(BATCH_WINDOW_S),
            report_batch_item_failures=True,
            # A burst then queues in SQS instead of turning into throttled StartExecution calls
            # (docs/capacity.md).
            max_concurrency=self.options.dispatcher_max_concurrency,
        ))
        self.dispatcher.add_environment("STATE_MACHINE_ARN", self.state_machine.state_machine_arn)
        self.dispatcher.add_environment("DELETE_STATE_MACHINE_ARN", self.delete_state_machine.state_machine_arn)
        self.dispatcher.add_environment("PRESETS_PARAMETER_NAME", self.presets_parameter.parameter_name)
        self.dispatcher.add_environment("PRESETS_CACHE_SECONDS", str(self.options.presets_cache_seconds))

    # ---- operations ------------------------------------------------------------------------
    def _alarms(self, topic: sns.ITopic | None) -> None:
        self.alarms = add_alarms(
            self,
            dead_letter_queue=self.dead_letter_queue,
            state_machine=self.state_machine,
            delete_state_machine=self.delete_state_machine,
            resizer=self.resizer,
            resizer_error_threshold=self.options.resizer_error_threshold,
            bad_upload_threshold=self.options.bad_upload_threshold,
            topic=topic,
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
        prefix = re.sub(r"[^A-Za-z0-9]", "", self._name_part(""))
        for name, value in outputs.items():
            # Predictable names, so that imgfan's CLI and embedded cloud find this construct's
            # outputs by suffix in any stack (imgfan_core.stack_names.outputs_of).
            CfnOutput(self, name, value=value).override_logical_id(f"{prefix}{name}")
