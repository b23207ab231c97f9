"""The compose `s3-bucket` service: the lake's bucket on the S3-compatible store, created once (on AWS the
bucket is made with the account, see docs/deploy-aws.md). Reads the same AWS_* variables as delta-rs."""

from __future__ import annotations

import os

import boto3
from botocore.exceptions import ClientError

bucket = os.environ["SHELFCAST_LAKE_URI"].removeprefix("s3a://").split("/", 1)[0]
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
try:
    s3.head_bucket(Bucket=bucket)
    print(f"bucket {bucket} exists")
except ClientError:
    s3.create_bucket(Bucket=bucket)
    print(f"bucket {bucket} created")
