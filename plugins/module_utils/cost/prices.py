# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The price table the cost estimate uses: us-east-1, USD, on-demand list prices.

Source: the AWS public price pages for each service (EC2, RDS, Aurora, ELB, VPC NAT gateway and public IPv4,
CloudFront, S3, CloudWatch, Secrets Manager, KMS, CodePipeline, ECR, DynamoDB, EKS), as read on 2025-06-01 for us-east-1;
Managed Prometheus, Managed Grafana, OpenSearch Service and Firehose added on 2026-12-07, each with its source below
(docs/cost.md lists them, and marks the figures no source could confirm).
Prices change and differ by region: this table is an estimate's input, not a bill; a region without its own
table is estimated with these figures and says so. A month is 730 hours.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

TABLE = {
    "date": "2025-06-01",
    "region": "us-east-1",
    "currency": "USD",
    "source": "AWS public price pages (EC2, RDS, Aurora, ELB, VPC, CloudFront, S3, CloudWatch, Secrets Manager, KMS, CodePipeline, ECR, DynamoDB, EKS; "
    "Managed Prometheus, Managed Grafana, OpenSearch Service, Firehose as of 2026-12-07, see docs/cost.md)",
}
HOURS_PER_MONTH = 730

# EC2 Linux on-demand, per hour
EC2 = {
    "t3.micro": 0.0104,
    "t3.small": 0.0208,
    "t3.medium": 0.0416,
    "t3.large": 0.0832,
    "t3.xlarge": 0.1664,
    "t4g.micro": 0.0084,
    "t4g.small": 0.0168,
    "t4g.medium": 0.0336,
    "t4g.large": 0.0672,
    "m5.large": 0.096,
    "m5.xlarge": 0.192,
    "m6i.large": 0.096,
    "m6i.xlarge": 0.192,
    "m7i.large": 0.1008,
    "m6g.large": 0.077,
    "m7g.large": 0.0816,
    "c5.large": 0.085,
    "c6i.large": 0.085,
    "c7g.large": 0.0725,
    "r6i.large": 0.126,
}
# What a 1-year commitment (Compute Savings Plan or standard reserved instance, no upfront) costs against on-demand,
# and what spot costs on average (both vary: these are the assumptions the estimate states).
RESERVED_1Y_FACTOR = 0.64
SPOT_FACTOR = 0.32

# RDS PostgreSQL / MySQL single-AZ, per hour; Multi-AZ (one standby) costs twice
RDS = {
    "db.t3.micro": 0.018,
    "db.t3.small": 0.036,
    "db.t3.medium": 0.072,
    "db.t3.large": 0.145,
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.m5.large": 0.178,
    "db.m6g.large": 0.159,
    "db.m6i.large": 0.178,
    "db.m7g.large": 0.168,
    "db.r5.large": 0.25,
    "db.r6g.large": 0.225,
    "db.r6i.large": 0.25,
}
RDS_STORAGE_GB_MONTH = {"gp2": 0.115, "gp3": 0.115, "io1": 0.125}
# Aurora PostgreSQL/MySQL (standard), per instance-hour, storage per GB-month and per million I/O requests
AURORA = {
    "db.t3.medium": 0.082,
    "db.t4g.medium": 0.073,
    "db.r5.large": 0.29,
    "db.r6g.large": 0.26,
    "db.r6i.large": 0.29,
    "db.r7g.large": 0.276,
}
AURORA_STORAGE_GB_MONTH = 0.10
AURORA_IO_PER_MILLION = 0.20

NAT_HOUR = 0.045
NAT_PER_GB = 0.045
PUBLIC_IPV4_HOUR = 0.005  # each NAT gateway's Elastic IP
ALB_HOUR = 0.0225
ALB_LCU_HOUR = 0.008
DATA_OUT_PER_GB = 0.09  # to the internet, first 10 TB
CLOUDFRONT_PER_GB = {"PriceClass_100": 0.085, "PriceClass_200": 0.085, "PriceClass_All": 0.085}  # first 10 TB, North America and Europe
CLOUDFRONT_PER_10K_HTTPS = 0.01
S3_GB_MONTH = 0.023
LOGS_INGEST_PER_GB = 0.50
LOGS_STORE_GB_MONTH = 0.03
ALARM_MONTH = 0.10
DASHBOARD_MONTH = 3.00
SECRET_MONTH = 0.40
KMS_KEY_MONTH = 1.00
PIPELINE_MONTH = 1.00
CODEBUILD_MINUTE = 0.005  # general1.small
ECR_GB_MONTH = 0.10

# DynamoDB Standard table class: on-demand per million request units, provisioned per capacity unit-hour,
# storage and continuous backups (point-in-time recovery) per GB-month; a global table's replica is billed
# again for its storage and for every write replicated to it (replicated write units at the write price).
DYNAMODB_WRITE_PER_MILLION = 0.625
DYNAMODB_READ_PER_MILLION = 0.125
DYNAMODB_WCU_HOUR = 0.00065
DYNAMODB_RCU_HOUR = 0.00013
DYNAMODB_STORAGE_GB_MONTH = 0.25
DYNAMODB_PITR_GB_MONTH = 0.20
# EKS: the control plane of a cluster on a Kubernetes version in standard support; nodes are EC2 instances (EC2 above)
EKS_CLUSTER_HOUR = 0.10

# Amazon Managed Service for Prometheus: samples ingested (first 2 billion a month), storage per GB-month (1 GB = 2^30
# bytes; a sample is "typically 1 or 2 bytes" plus metadata), query samples processed (QSP) per billion.
# aws.amazon.com/prometheus/pricing (the units and the sample size); the figures as quoted from it in infracost issue 2477.
AMP_INGEST_PER_10M_SAMPLES = 0.90
AMP_STORAGE_GB_MONTH = 0.03
AMP_QUERY_PER_BILLION_SAMPLES = 0.10
# Amazon Managed Grafana: per active user and workspace a month; a workspace needs at least one editor licence.
# aws.amazon.com/grafana/pricing
GRAFANA_EDITOR_MONTH = 9.00
GRAFANA_VIEWER_MONTH = 5.00
# Amazon OpenSearch Service on-demand instances, per hour, and gp3 EBS storage per GB-month of each node.
# r6g.large.search and gp3: third-party tables that quote the AWS page (docs/cost.md); m6g.large.search not confirmed.
OPENSEARCH = {
    "t3.small.search": 0.036,
    "t3.medium.search": 0.072,
    "r6g.large.search": 0.167,
    "m6g.large.search": 0.128,
}
OPENSEARCH_GP3_GB_MONTH = 0.122
# Amazon Data Firehose: ingestion per GB (first 500 TB a month); delivery into a VPC (the domain is VPC only) per
# hour and AZ, and per GB delivered. The ingestion figure from a third-party note; the VPC figures not confirmed.
FIREHOSE_INGEST_PER_GB = 0.029
FIREHOSE_VPC_AZ_HOUR = 0.01
FIREHOSE_VPC_PER_GB = 0.01
