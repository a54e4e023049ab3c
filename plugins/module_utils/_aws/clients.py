# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One client per AWS service for a whole run: ``clients.ec2``, ``clients.rds``...

Every ``module.client()`` opens a botocore session and loads the service model again (a few
hundred milliseconds for EC2), so a run asks this cache. Each client has bounded timeouts and
botocore's standard retry mode (throttling and brief 5xx are retried inside botocore, waiters
included); each call is also retried by the Service wrapper (base.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.amp import AMP
from ansible_collections.hatrading.aws.plugins.module_utils._aws.application_autoscaling import ApplicationAutoScaling
from ansible_collections.hatrading.aws.plugins.module_utils._aws.autoscaling import AutoScaling
from ansible_collections.hatrading.aws.plugins.module_utils._aws.cloudfront import CloudFront
from ansible_collections.hatrading.aws.plugins.module_utils._aws.cloudwatch import CloudWatch
from ansible_collections.hatrading.aws.plugins.module_utils._aws.codebuild import CodeBuild
from ansible_collections.hatrading.aws.plugins.module_utils._aws.codecommit import CodeCommit
from ansible_collections.hatrading.aws.plugins.module_utils._aws.codedeploy import CodeDeploy
from ansible_collections.hatrading.aws.plugins.module_utils._aws.codepipeline import CodePipeline
from ansible_collections.hatrading.aws.plugins.module_utils._aws.ec2 import EC2
from ansible_collections.hatrading.aws.plugins.module_utils._aws.dynamodb import DynamoDB
from ansible_collections.hatrading.aws.plugins.module_utils._aws.ecr import ECR
from ansible_collections.hatrading.aws.plugins.module_utils._aws.eks import EKS
from ansible_collections.hatrading.aws.plugins.module_utils._aws.elbv2 import ELBv2
from ansible_collections.hatrading.aws.plugins.module_utils._aws.fis import FIS
from ansible_collections.hatrading.aws.plugins.module_utils._aws.grafana import Grafana
from ansible_collections.hatrading.aws.plugins.module_utils._aws.firehose import Firehose
from ansible_collections.hatrading.aws.plugins.module_utils._aws.events import Events
from ansible_collections.hatrading.aws.plugins.module_utils._aws.iam import IAM
from ansible_collections.hatrading.aws.plugins.module_utils._aws.kms import KMS
from ansible_collections.hatrading.aws.plugins.module_utils._aws.logs import Logs
from ansible_collections.hatrading.aws.plugins.module_utils._aws.opensearch import OpenSearch
from ansible_collections.hatrading.aws.plugins.module_utils._aws.rds import RDS
from ansible_collections.hatrading.aws.plugins.module_utils._aws.s3 import S3
from ansible_collections.hatrading.aws.plugins.module_utils._aws.secretsmanager import SecretsManager
from ansible_collections.hatrading.aws.plugins.module_utils._aws.sns import SNS
from ansible_collections.hatrading.aws.plugins.module_utils._aws.ssm import SSM
from ansible_collections.hatrading.aws.plugins.module_utils._aws.sts import STS
from ansible_collections.hatrading.aws.plugins.module_utils._aws.tagging import Tagging

SERVICES = dict(
    (service.NAME, service)
    for service in (
        AMP,
        ApplicationAutoScaling,
        AutoScaling,
        CloudFront,
        CloudWatch,
        CodeBuild,
        CodeCommit,
        CodeDeploy,
        CodePipeline,
        DynamoDB,
        EC2,
        ECR,
        EKS,
        ELBv2,
        Events,
        FIS,
        Grafana,
        Firehose,
        IAM,
        KMS,
        Logs,
        OpenSearch,
        RDS,
        S3,
        SecretsManager,
        SNS,
        SSM,
        STS,
        Tagging,
    )
)
# A silent endpoint fails within a minute, not after botocore's default 60 s x 5 attempts per call.
CLIENT_CONFIG = dict(connect_timeout=10, read_timeout=30, retries={"mode": "standard", "max_attempts": 4})


class Clients:
    """``clients.ec2`` (or ``clients("ec2")``): that service's Service, its client made once.

    ``make(service_name)`` returns a boto3 client; by default the module's, with the user's
    connection settings (profile, region, endpoint, aws_config) as AnsibleAWSModule reads them.
    Tests pass their own, e.g. ``Clients(make={"ec2": stubbed}.get)``.
    """

    def __init__(self, module=None, make=None, config=None):
        self._make = make or (lambda name: module.client(name, config=config or CLIENT_CONFIG))
        self._made = {}

    def __call__(self, name):
        if name not in self._made:
            self._made[name] = SERVICES[name](self._make(name))
        return self._made[name]

    def __getattr__(self, name):
        if name.startswith("_") or name not in SERVICES:
            raise AttributeError(name)
        return self(name)
