# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every resource name of a stack, made in one place.

A tier that needs another tier's resource asks here (or the stack view, which asks here);
nobody types another tier's name format again. Names that AWS limits (ALB and target
group: 32 characters) leave room for a 24-character stack name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS

SHORT = {"frontend": "fe", "backend": "be"}
LOAD_BALANCER_ROLE = {"frontend": "pub", "backend": "int"}  # the public ALB fronts the front-end, the internal one the back-end


def network(stack):
    """Every Name the network uses."""
    return {
        "vpc": "%s-vpc" % stack,
        "internet_gateway": "%s-igw" % stack,
        "subnet": lambda layer, az: "%s-%s-%s" % (stack, layer, az),
        "nat_gateway": lambda az: "%s-nat-%s" % (stack, az),
        "route_table": lambda layer, az=None: "%s-%s%s" % (stack, layer, "-" + az if az else ""),
        "network_acl": lambda layer: "%s-%s" % (stack, layer),
        "security_group": lambda component: "%s-%s" % (stack, component),
        "flow_log_role": "%s-vpc-flow-logs" % stack,
    }


def database(stack):
    """Every name the database tier uses."""
    base = "%s-database" % stack
    return {
        "instance": base,
        "cluster": base,
        "subnet_group": base,
        "parameter_group": base,
        "security_group": base,  # the network tier's security group in front of the database
        "member": lambda index: "%s-%d" % (base, index),
        "kms_alias": "alias/%s" % base,
        "secret": "%s/database/master" % stack,
        "final_snapshot": lambda stamp: "%s-final-%s" % (base, stamp),
        "reader_scaling_policy": "%s-readers-target" % base,  # Aurora reader auto scaling (Application Auto Scaling)
    }


def compute(stack, tier):
    """Every name the compute tier uses for one app tier (``frontend`` or ``backend``)."""
    return {
        "launch_template": "%s-%s" % (stack, tier),
        "role": "%s-%s-instance" % (stack, tier),
        "instance_profile": "%s-%s-instance" % (stack, tier),
        "policy": "least-privilege",
        "auto_scaling_group": "%s-%s" % (stack, tier),
        "load_balancer": "%s-alb-%s" % (stack, LOAD_BALANCER_ROLE[tier]),
        "target_group": "%s-tg-%s" % (stack, SHORT[tier]),
        "log_group": "/hatrading/%s/%s" % (stack, tier),
        "cpu_policy": "%s-%s-cpu" % (stack, tier),
        "requests_policy": "%s-%s-requests" % (stack, tier),
    }


def app_tiers(stack, part):
    """{app tier: name} of one compute part (``auto_scaling_group``, ``load_balancer``, ``target_group``...)."""
    return dict((tier, compute(stack, tier)[part]) for tier in APP_TIERS)


def cdn(stack, region, bucket_name=None):
    """Every name the CDN tier uses; the bucket's is global, so the region is part of it."""
    return {
        "bucket": bucket_name or "hatrading-%s-cdn-%s" % (stack, region),
        "origin_access_control": "%s-cdn-oac" % stack,
        "distribution": "%s-cdn" % stack,
        "comment": "hatrading %s cdn" % stack,
        "load_balancer": compute(stack, "frontend")["load_balancer"],
    }


def monitoring(stack):
    """Every name the monitoring tier uses, and the names of what it watches."""
    return {
        "topic": "%s-alarms" % stack,
        "dashboard": "hatrading-%s" % stack,  # dashboards carry no tags: a prefixed name and a marker in the body say whose
        "alarm_prefix": "%s-" % stack,
        "namespace": "hatrading/%s" % stack,
        "load_balancer": app_tiers(stack, "load_balancer"),
        "target_group": app_tiers(stack, "target_group"),
        "auto_scaling_group": app_tiers(stack, "auto_scaling_group"),
        "database": database(stack)["instance"],
        "log_groups": ["%s/%s" % (compute(stack, tier)["log_group"], kind) for tier in APP_TIERS for kind in ("host", "container")],
        "log_group_prefix": "/hatrading/%s/" % stack,
    }


def pipeline_bucket(stack, region):
    """The pipeline's artifact bucket (the compute tier grants its instances read on the revisions there)."""
    return "hatrading-%s-pipeline-%s" % (stack, region)


def pipeline(stack, region, repositories=None, bucket_name=None):
    """Every name the pipeline tier uses."""
    repositories = repositories or {}
    return {
        "repositories": dict((tier, repositories.get(tier) or "hatrading/%s/%s" % (stack, tier)) for tier in APP_TIERS),
        "code_repository": "%s-trading" % stack,
        "bucket": bucket_name or pipeline_bucket(stack, region),
        "build_project": "%s-images" % stack,
        "log_group": "/hatrading/%s/pipeline/build" % stack,
        "build_role": "%s-pipeline-build" % stack,
        "deploy_role": "%s-pipeline-deploy" % stack,
        "pipeline_role": "%s-pipeline" % stack,
        "policy": "least-privilege",
        "application": stack,
        "deployment_groups": app_tiers(stack, "auto_scaling_group"),
        "auto_scaling_groups": app_tiers(stack, "auto_scaling_group"),
        "target_groups": app_tiers(stack, "target_group"),
        "pipeline": stack,
        "trigger_rule": "%s-pipeline-trigger" % stack,
        "events_role": "%s-pipeline-events" % stack,
    }


def flow_log(stack):
    """The names of the VPC flow log's delivery role and log group (hatrading.aws.vpc_flow_log's defaults)."""
    return {"role": network(stack)["flow_log_role"], "log_group": "/hatrading/%s/vpc-flow-logs" % stack}


def nosql(stack):
    """Every name the nosql (DynamoDB) tier uses: its tables, their scaling policies and final backups."""
    tables = {"sessions": "%s-sessions" % stack, "market": "%s-market" % stack}
    return {
        "tables": tables,
        "scaling_policy": lambda table, dimension: "%s-%s-target" % (table, dimension),
        "final_backup": lambda table, stamp: "%s-final-%s" % (table, stamp),
        "kms_alias": database(stack)["kms_alias"],  # the stack's key, made by the database tier
    }


def logs(stack, region):
    """Every name the logs (OpenSearch) tier uses; a domain name is 3-28 characters, so the stack part is cut at 23."""
    domain = "%s-logs" % stack[:23]
    return {
        "domain": domain,
        "delivery_stream": "%s-logs" % stack,
        "firehose_role": "%s-logs-firehose" % stack,
        "subscription_role": "%s-logs-subscription" % stack,
        "policy": "least-privilege",
        "security_group": "%s-logs" % stack,
        "bucket": "hatrading-%s-logs-%s" % (stack, region),  # the documents Firehose could not index
        "master_secret": "%s/logs/master" % stack,
        "subscription_filter": "%s-logs-to-opensearch" % stack,
        "index": "hatrading-logs",
        "final_snapshot": lambda stamp: "%s-final-%s" % (domain, stamp),
        "kms_alias": database(stack)["kms_alias"],  # the stack's key, made by the database tier
        # what it ships: the app instances' groups (the CloudWatch agent's) and the VPC flow log group
        "log_groups": sorted(monitoring(stack)["log_groups"] + [flow_log(stack)["log_group"]]),
    }


def eks(stack):
    """Every name the EKS tier uses; the control plane's log group name is fixed by EKS."""
    cluster = "%s-eks" % stack
    return {
        "cluster": cluster,
        "cluster_role": "%s-eks-cluster" % stack,
        "node_role": "%s-eks-node" % stack,
        "nodegroup": lambda az: "%s-%s" % (stack, az),
        "log_group": "/aws/eks/%s/cluster" % cluster,
        "service_account_role": lambda tier: "%s-eks-%s" % (stack, tier),
        "policy": "least-privilege",
        "kms_alias": database(stack)["kms_alias"],  # the stack's key, made by the database tier
        "database_secret": database(stack)["secret"],
        "repositories": pipeline(stack, "")["repositories"],
        "log_group_prefix": "/hatrading/%s/eks/" % stack,
        "target_group": "%s-tg-eks" % stack,  # the front-end pods behind the public ALB, during a migration
        "load_balancer": compute(stack, "frontend")["load_balancer"],
        "asg_target_group": compute(stack, "frontend")["target_group"],
        # the monitoring tier's alarms on what a migration moves: the public ALB's answers, the cluster
        "watched_alarms": [monitoring(stack)["alarm_prefix"] + suffix for suffix in WATCHED_BY_MIGRATION],
    }


def observability(stack):
    """Every name the observability tier uses: the Prometheus (AMP) workspace, its rules, the collector, Grafana."""
    return {
        "workspace": "%s-prometheus" % stack,  # the AMP workspace's alias (AMP names a workspace by ID)
        "rules_namespace": "%s-rules" % stack,
        "scrape_parameter": "/hatrading/%s/observability/scrape-config" % stack,  # the agent's Prometheus configuration
        "scraper": "%s-scraper" % stack,  # the managed scraper's alias
        "grafana_workspace": "%s-grafana" % stack,
        "grafana_service_account": "%s-provisioner" % stack,
        "grafana_datasource": "%s-amp" % stack,  # the uid of the workspace's Prometheus data source in Grafana
        "eks_cluster": eks(stack)["cluster"],  # the eks tier's cluster: the managed scraper's source
    }


WATCHED_BY_MIGRATION = ("frontend-alb-5xx", "frontend-target-5xx", "frontend-latency-p99", "eks-api-5xx", "eks-pending-pods")
