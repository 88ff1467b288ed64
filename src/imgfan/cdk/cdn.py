"""The optional CDN in front of the output bucket (``-c cdn=true``, docs/design.md §7).

CloudFront reads the private bucket through origin access control (not the legacy OAI): the
bucket policy CDK writes lets only this distribution read, by ``AWS:SourceArn``. Variants are
immutable under fingerprinted keys, so the managed CachingOptimized policy (cache key without
cookies, query strings or headers) fits, and the manifest's ``no-cache`` makes CloudFront
revalidate that one file.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct


def response_headers(scope: Construct, cors_origins: tuple[str, ...]) -> cloudfront.ResponseHeadersPolicy:
    """Security headers for every response, and CORS so pages can draw variants on a canvas."""
    cors = None
    if cors_origins:
        cors = cloudfront.ResponseHeadersCorsBehavior(
            access_control_allow_origins=list(cors_origins),
            access_control_allow_methods=["GET", "HEAD"],
            access_control_allow_headers=["*"],
            access_control_allow_credentials=False,
            access_control_max_age=Duration.days(1),
            origin_override=True,
        )
    return cloudfront.ResponseHeadersPolicy(
        scope, "CdnResponseHeaders",
        comment="imgfan variants: security headers and CORS",
        cors_behavior=cors,
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=Duration.days(365), include_subdomains=True, override=True),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True),
        ),
    )


def add_cdn(scope: Construct, bucket: s3.IBucket, cors_origins: tuple[str, ...]) -> cloudfront.Distribution:
    return cloudfront.Distribution(
        scope, "Cdn",
        comment="imgfan variants and manifests",
        default_behavior=cloudfront.BehaviorOptions(
            origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            response_headers_policy=response_headers(scope, cors_origins),
            compress=True,
        ),
        http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        price_class=cloudfront.PriceClass.PRICE_CLASS_100,
    )
