"""A CDK app that already has an upload bucket, encrypted with its own KMS key: imgfan renders
what lands under uploads/ into a bucket of its own. Run it as ``cdk synth --app "python app.py"``
(or ``python app.py`` with CDK_OUTDIR set), after ``pip install imgfan cdk-nag``.

Context: ``uploadsBucket`` (the existing bucket's name), and optionally ``uploadsKeyArn`` (its
customer managed key) and ``permissionsBoundaryArn`` (a boundary every new role must carry).
"""

from pathlib import Path

from aws_cdk import App, Aspects, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from imgfan.cdk import ImageVariants

app = App()
stack = Stack(app, "ExistingBucketApp")
key_arn = app.node.try_get_context("uploadsKeyArn")
boundary_arn = app.node.try_get_context("permissionsBoundaryArn")

images = ImageVariants(
    stack, "Images",
    presets=Path(__file__).with_name("presets.json"),
    source_bucket=s3.Bucket.from_bucket_name(stack, "Uploads", app.node.try_get_context("uploadsBucket") or "my-app-uploads"),
    source_prefix="uploads/",
    source_key=kms.Key.from_key_arn(stack, "UploadsKey", key_arn) if key_arn else None,
    permissions_boundary=(iam.ManagedPolicy.from_managed_policy_arn(stack, "Boundary", boundary_arn)
                          if boundary_arn else None),
)
Aspects.of(app).add(AwsSolutionsChecks())
app.synth()
