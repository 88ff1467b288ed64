"""The optional CDN (-c cdn=true, on in the 'hardened' context) and the default without it."""

from __future__ import annotations

import json

import pytest

from imgfan.local.deploy import leave_out_cloudfront
from tests import synth_contexts

pytestmark = pytest.mark.synth


def test_the_default_stack_has_no_cdn_and_no_public_base_url(standard):
    assert not [k for k, r in standard.resources.items() if r["Type"].startswith("AWS::CloudFront::")]
    for name in ("finalizer", "cleaner"):
        assert standard.function(name)[1]["Environment"]["Variables"]["PUBLIC_BASE_URL"] == ""


def test_cloudfront_reads_the_output_bucket_through_origin_access_control_over_https_only(hardened):
    _distribution_id, distribution = hardened.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "https-only"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    [origin] = config["Origins"]
    control_id, control = hardened.one("AWS::CloudFront::OriginAccessControl")
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [control_id, "Id"]}
    assert control["Properties"]["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    assert control["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}, "no legacy origin access identity"
    assert not hardened.of_type("AWS::CloudFront::CloudFrontOriginAccessIdentity")
    assert hardened.flatten(origin["DomainName"]).startswith("<OutputBucket")


def test_only_that_distribution_may_read_by_source_arn(hardened):
    distribution_id, _ = hardened.one("AWS::CloudFront::Distribution")
    output = hardened.logical_id("OutputBucket", "AWS::S3::Bucket")
    [policy] = [p for p in hardened.of_type("AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": output}]
    allows = [st for st in policy["Properties"]["PolicyDocument"]["Statement"] if st["Effect"] == "Allow"]
    assert len(allows) == 1
    [allow] = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source_arn = hardened.flatten(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert source_arn.endswith(f":distribution/<{distribution_id}>")


def test_security_headers_and_cors_for_canvas_use(hardened):
    _, policy = hardened.one("AWS::CloudFront::ResponseHeadersPolicy")
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    cors = config["CorsConfig"]
    assert cors["AccessControlAllowOrigins"] == {"Items": ["*"]}
    assert cors["AccessControlAllowMethods"] == {"Items": ["GET", "HEAD"]}
    security = config["SecurityHeadersConfig"]
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 365 * 86400


def test_cors_origins_come_from_the_context(synth_cfn):
    cfn = synth_cfn(synth_contexts.CDN_CORS)
    _, policy = cfn.one("AWS::CloudFront::ResponseHeadersPolicy")
    origins = policy["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"]["AccessControlAllowOrigins"]
    assert origins == {"Items": ["https://app.example.com", "https://admin.example.com"]}


def test_the_cdn_domain_is_the_output_and_the_functions_public_base_url(hardened):
    distribution_id, _ = hardened.one("AWS::CloudFront::Distribution")
    assert hardened.template["Outputs"]["CdnDomainName"]["Value"] == {"Fn::GetAtt": [distribution_id, "DomainName"]}
    for name in ("finalizer", "cleaner"):
        url = hardened.function(name)[1]["Environment"]["Variables"]["PUBLIC_BASE_URL"]
        assert hardened.flatten(url) == f"https://<{distribution_id}.DomainName>"


def test_the_embedded_cloud_leaves_the_distribution_out_and_nothing_dangles(hardened):
    local = leave_out_cloudfront(hardened.template)
    assert not [k for k, r in local["Resources"].items() if r["Type"].startswith("AWS::CloudFront::")]
    assert "CdnDomainName" not in local["Outputs"]
    gone = {k for k, r in hardened.resources.items() if r["Type"].startswith("AWS::CloudFront::")}
    text = json.dumps({k: v for k, v in local.items() if k in ("Resources", "Outputs")})
    for name in gone:
        assert f'"{name}"' not in text, f"{name} is still referenced"
