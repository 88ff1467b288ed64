"""Embedded cloud: moto server, local Lambda runtime, SQS event-source poller, local deploy."""
