"""Counting recorded AWS calls: every protocol's requests are split into reads and writes."""

from __future__ import annotations

import base64

import pytest

from emulator import recording


def record(method: str, url: str = "http://127.0.0.1:4566/", body: str = "", service: str = "ec2", **headers: str):
    auth = f"AWS4-HMAC-SHA256 Credential=test/20261127/ap-northeast-2/{service}/aws4_request, SignedHeaders=host"
    encoded = base64.b64encode(body.encode()).decode()
    return {
        "method": method,
        "url": url,
        "body": encoded,
        "body_encoded": True,
        "headers": {"Authorization": auth, **headers},
    }


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        (record("POST", body="Action=DescribeVpcs&Version=2016-11-15"), ("ec2", "DescribeVpcs", False)),
        (
            record(
                "POST",
                "http://127.0.0.1:4566/service/GraniteServiceVersion20100801/operation/GetMetricStatistics",
                service="monitoring",
            ),
            ("monitoring", "GetMetricStatistics", False),
        ),
        (
            record(
                "POST",
                "http://127.0.0.1:4566/service/GraniteServiceVersion20100801/operation/PutMetricData",
                service="monitoring",
            ),
            ("monitoring", "PutMetricData", True),
        ),
        (record("POST", body="Action=CreateVpc&CidrBlock=10.0.0.0%2F16"), ("ec2", "CreateVpc", True)),
        (
            record("POST", service="ecs", **{"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters"}),
            ("ecs", "ListClusters", False),
        ),
        (
            record("POST", service="ecs", **{"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.UpdateService"}),
            ("ecs", "UpdateService", True),
        ),
        (
            record("POST", service="logs", **{"X-Amz-Target": "Logs_20140328.FilterLogEvents"}),
            ("logs", "FilterLogEvents", False),
        ),
        (
            record("GET", url="http://127.0.0.1:4566/2013-04-01/hostedzone", service="route53"),
            ("route53", "GET /2013-04-01/hostedzone", False),
        ),
        (record("HEAD", url="http://127.0.0.1:4566/bucket/key", service="s3"), ("s3", "HEAD /bucket/key", False)),
        (record("PUT", url="http://127.0.0.1:4566/bucket", service="s3"), ("s3", "PUT /bucket", True)),
        (record("DELETE", url="http://127.0.0.1:4566/bucket/key", service="s3"), ("s3", "DELETE /bucket/key", True)),
    ],
)
def test_classify(req, expected):
    call = recording.classify(req)
    assert (call.service, call.action, call.write) == expected


def test_summarise_counts_reads_and_writes():
    calls = [
        recording.Call("ec2", "DescribeVpcs", False),
        recording.Call("ec2", "CreateVpc", True),
        recording.Call("ec2", "CreateVpc", True),
    ]
    summary = recording.summarise(calls)
    assert (summary["total"], summary["reads"], summary["writes"]) == (3, 1, 2)
    assert summary["write_calls"] == {"ec2:CreateVpc": 2}
