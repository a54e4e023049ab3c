# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One client per AWS service for a whole run: ``clients.ec2``, ``clients.rds``...

amazon.aws's ``module.client()`` opens a new boto3 session for every client, and each session
parses botocore's endpoint data, lists the services and loads the service's model again: about
0.2 s a client, most of a no-op module run. Clients here share one session per profile in the
process (:func:`session_client`), so each of those is read once. Each client has bounded timeouts
and botocore's standard retry mode (throttling and brief 5xx are retried inside botocore, waiters
included); each call is also retried by the Service wrapper (base.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule fails with its own message when boto3 is missing


from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info

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


USER_AGENT_EXTRA = "hatrading.aws"
_sessions = {}  # profile -> boto3 Session, for the life of the module's process


def session_client(module, name, config=None):
    """A boto3 client of ``name`` with the user's connection settings, as ``module.client()`` makes it, on a shared session.

    The settings are AnsibleAWSModule's (profile, region, endpoint_url, aws_config, the credentials, the
    environment); the failures are answered with amazon.aws's messages (``boto3_conn``).
    """
    region, endpoint, params = get_aws_connection_info(module)
    params = dict(params)
    profile = params.pop("profile_name", None)
    merged = botocore.config.Config(user_agent_extra=USER_AGENT_EXTRA)
    for extra in (config, params.pop("config", None), params.pop("aws_config", None)):
        if extra:
            merged = merged.merge(extra if isinstance(extra, botocore.config.Config) else botocore.config.Config(**extra))
    try:
        if profile not in _sessions:
            _sessions[profile] = boto3.session.Session(profile_name=profile)
        return _sessions[profile].client(name, region_name=region, endpoint_url=endpoint, config=merged, **params)
    except botocore.exceptions.NoRegionError:
        module.fail_json(msg="The %s module requires a region and none was found in configuration, environment variables or module parameters" % module._name)
    except (ValueError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Couldn't connect to AWS")


class Clients:
    """``clients.ec2`` (or ``clients("ec2")``): that service's Service, its client made once.

    ``make(service_name)`` returns a boto3 client; by default one with the user's connection
    settings (profile, region, endpoint, aws_config) as AnsibleAWSModule reads them, on the
    process's shared session (:func:`session_client`).
    Tests pass their own, e.g. ``Clients(make={"ec2": stubbed}.get)``.
    """

    def __init__(self, module=None, make=None, config=None):
        self._make = make or (lambda name: session_client(module, name, config or CLIENT_CONFIG))
        self._made = {}
        self._making = threading.Lock()  # reads run in threads (core/together.py); a boto3 session is not thread safe

    def __call__(self, name):
        with self._making:
            if name not in self._made:
                self._made[name] = SERVICES[name](self._make(name))
            return self._made[name]

    def __getattr__(self, name):
        if name.startswith("_") or name not in SERVICES:
            raise AttributeError(name)
        return self(name)
