# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One lazy view of a stack's resources, for every reader: the tiers, the audit and the report.

Resources are found by the stack tags and by the names :mod:`core.names` makes, never by IDs
passed between roles. Each family is read on first use, with one filtered call where the API
allows it, and kept for the rest of the run: ten questions about subnets cost one describe.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import READ_CACHE
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_LAYER
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_NAME
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_STACK
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict


def _tagged(record, key, value):
    return tag_dict(record.get("Tags")).get(key) == value


class StackView:
    """What one stack holds, read on demand through ``clients`` (an ``_aws.clients.Clients``)."""

    def __init__(self, clients, stack):
        self.clients = clients
        self.stack = stack
        self._read = {}

    def _once(self, family, read):
        if family not in self._read:
            self._read[family] = read()
        return self._read[family]

    # ------------------------------------------------------------ network

    def vpcs(self):
        return self._once("vpcs", lambda: self.clients.ec2.describe_vpcs(Filters=stack_filters(self.stack, "network")))

    def _in_network(self, family, operation, tier=None, filter_key="Filters", extra=()):
        """A family of the stack's network: one describe filtered by the stack's tags (and ``tier``'s), or, when
        the network tier's own read of the stack's VPCs is in the run's read cache, that answer kept to the tags."""
        describe = getattr(self.clients.ec2, operation)
        wanted = stack_filters(self.stack, tier)

        def read():
            vpcs_read = {"Filters": stack_filters(self.stack, "network")}
            if READ_CACHE.knows("ec2", "describe_vpcs:Vpcs", vpcs_read):
                vpc_ids = [v["VpcId"] for v in self.vpcs()]
                in_vpc = {filter_key: [{"Name": "vpc-id", "Values": vpc_ids}] + list(extra)}
                key = "%s:%s" % (operation, operation.split("describe_")[1].title().replace("_", ""))
                if vpc_ids and READ_CACHE.knows("ec2", key, in_vpc):
                    tags = dict((f["Name"][len("tag:") :], f["Values"][0]) for f in wanted)
                    return [r for r in describe(**in_vpc) if all(tag_dict(r.get("Tags")).get(k) == v for k, v in tags.items())]
            return describe(**{filter_key: wanted})

        return self._once(family, read)

    def subnets(self):
        """Every subnet of the stack's network tier."""
        return self._in_network("subnets", "describe_subnets", "network")

    def subnets_of(self, layer):
        """The network's subnets of one layer (public, app, data), sorted by ID."""
        return sorted((s for s in self.subnets() if _tagged(s, TAG_LAYER, layer)), key=lambda s: s["SubnetId"])

    def subnet_per_az(self, layer):
        """{AZ: subnet ID} of one layer, the first subnet (by ID) in each AZ: a tier that takes one subnet per AZ."""
        found = {}
        for subnet in self.subnets_of(layer):
            found.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
        return found

    def subnet_ids(self, layer):
        return [s["SubnetId"] for s in self.subnets_of(layer)]

    def vpc_id(self, layer="app"):
        found = self.subnets_of(layer)
        return found[0]["VpcId"] if found else None

    def security_groups(self):
        return self._in_network("security_groups", "describe_security_groups", "network")

    def security_group_id(self, name):
        """The ID of the network's security group tagged Name=``name``, or None."""
        found = [g["GroupId"] for g in self.security_groups() if _tagged(g, TAG_NAME, name)]
        return found[0] if found else None

    def nat_gateways(self):
        """The stack's NAT gateways that are pending or available (deleted ones linger in AWS's answers)."""
        live = [{"Name": "state", "Values": ["pending", "available"]}]
        return self._in_network("nat_gateways", "describe_nat_gateways", filter_key="Filter", extra=live)

    def route_tables(self):
        return self._in_network("route_tables", "describe_route_tables")

    def network_acls(self):
        return self._in_network("network_acls", "describe_network_acls")

    def flow_logs(self):
        def read():
            vpc_ids = [v["VpcId"] for v in self.vpcs()]
            return self.clients.ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": vpc_ids}]) if vpc_ids else []

        return self._once("flow_logs", read)

    # ------------------------------------------------------------ compute

    def auto_scaling_groups(self):
        """The app tiers' Auto Scaling groups that carry this stack's tag."""

        def read():
            groups = self.clients.autoscaling.groups_named(sorted(names.app_tiers(self.stack, "auto_scaling_group").values()))
            return [g for g in groups if any(t["Key"] == TAG_STACK and t.get("Value") == self.stack for t in g.get("Tags") or [])]

        return self._once("auto_scaling_groups", read)

    def auto_scaling_group(self, tier):
        return _named(self.auto_scaling_groups(), "AutoScalingGroupName", names.compute(self.stack, tier)["auto_scaling_group"])

    def load_balancers(self):
        return self._once("load_balancers", lambda: self.clients.elbv2.load_balancers_named(sorted(names.app_tiers(self.stack, "load_balancer").values())))

    def load_balancer(self, tier):
        return _named(self.load_balancers(), "LoadBalancerName", names.compute(self.stack, tier)["load_balancer"])

    def target_groups(self):
        return self._once("target_groups", lambda: self.clients.elbv2.target_groups_named(sorted(names.app_tiers(self.stack, "target_group").values())))

    def target_group(self, tier):
        return _named(self.target_groups(), "TargetGroupName", names.compute(self.stack, tier)["target_group"])

    def target_health(self, target_group_arn):
        return self._once(
            "target_health:" + target_group_arn,
            lambda: self.clients.elbv2.describe_target_health(TargetGroupArn=target_group_arn).get("TargetHealthDescriptions", []),
        )

    def elb_tags(self):
        """{ARN: tags} of the stack's load balancers and target groups, in one batched read."""

        def read():
            arns = [lb["LoadBalancerArn"] for lb in self.load_balancers()] + [tg["TargetGroupArn"] for tg in self.target_groups()]
            return self.clients.elbv2.tags_of(arns) if arns else {}

        return self._once("elb_tags", read)

    def app_resources(self, kind):
        """Every app tier's ``kind`` (load_balancer, target_group, auto_scaling_group, launch_template) that
        exists, in one read, never kept in this view: the run's read cache keeps it until a change is made."""
        wanted = sorted(names.app_tiers(self.stack, kind).values())
        if kind == "launch_template":  # EC2 refuses the whole batch when one name is missing
            found = self.clients.ec2.describe_launch_templates(LaunchTemplateNames=wanted, missing=None)
            return (
                found
                if found is not None
                else [t for name in wanted for t in self.clients.ec2.describe_launch_templates(LaunchTemplateNames=[name], missing=[])]
            )
        return APP_READS[kind](self.clients)(wanted)

    def app_resource(self, kind, name):
        """The ``kind`` called ``name``, or None. When the run hands its reads on (site.yml), one read answers every
        app tier (the other tier's step, the monitoring tier and the report find it in the read cache); else one name is read."""
        if READ_CACHE.active and name in names.app_tiers(self.stack, kind).values():
            found = self.app_resources(kind)
        elif kind == "launch_template":
            found = self.clients.ec2.describe_launch_templates(LaunchTemplateNames=[name], missing=[])
        else:
            found = APP_READS[kind](self.clients)([name])
        return _named(found, APP_KEYS[kind], name)

    def app_elb_tags(self, arns):
        """{ARN: tags} of ``arns``; when the run hands its reads on, read with every app tier's load balancers and
        target groups in the batch the monitoring tier and the report ask for too."""
        if READ_CACHE.active:
            every = [lb["LoadBalancerArn"] for lb in self.app_resources("load_balancer")] + [tg["TargetGroupArn"] for tg in self.app_resources("target_group")]
            if set(arns) <= set(every):
                arns = every
        return self.clients.elbv2.tags_of(arns) if arns else {}

    # ------------------------------------------------------------ database

    def db_clusters(self):
        return self._once("db_clusters", lambda: self.clients.rds.describe_db_clusters(DBClusterIdentifier=names.database(self.stack)["cluster"]))

    def db_instances(self):
        """The Aurora cluster's members, or the single RDS instance."""

        def read():
            members = [m["DBInstanceIdentifier"] for c in self.db_clusters() for m in c.get("DBClusterMembers") or []]
            return self.clients.rds.db_instances_named(members or [names.database(self.stack)["instance"]])

        return self._once("db_instances", read)

    # ------------------------------------------------------------ nosql

    def dynamodb_tables(self):
        """The nosql tier's tables that exist (DescribeTable answers, found by name: DynamoDB has no tag filter)."""

        def read():
            described = [self.clients.dynamodb.describe_table(TableName=table) for table in names.nosql(self.stack)["tables"].values()]
            return [table for table in described if table]

        return self._once("dynamodb_tables", read)

    def dynamodb_tables_with_backups(self):
        """:meth:`dynamodb_tables`, each with its ``ContinuousBackups`` (point-in-time recovery), for the audit and the report."""

        def read():
            backups = dict((t["TableName"], self.clients.dynamodb.describe_continuous_backups(TableName=t["TableName"]) or {}) for t in self.dynamodb_tables())
            return [dict(table, ContinuousBackups=backups[table["TableName"]]) for table in self.dynamodb_tables()]

        return self._once("dynamodb_tables_with_backups", read)

    # ------------------------------------------------------------ keys

    def stack_kms_key(self):
        """The stack's KMS key (the database tier makes it, under the alias core.names gives): its metadata, or None."""

        def read():
            answer = self.clients.kms.describe_key(KeyId=names.database(self.stack)["kms_alias"], missing=None)
            return answer["KeyMetadata"] if answer else None

        return self._once("stack_kms_key", read)

    # ------------------------------------------------------------ logs

    def opensearch_domain(self):
        """The logs tier's OpenSearch domain (DescribeDomain's DomainStatus), or None."""
        return self._once("opensearch_domain", lambda: self.clients.opensearch.describe_domain(DomainName=names.logs(self.stack, "")["domain"]))

    # ------------------------------------------------------------ eks

    def eks_cluster(self):
        """The EKS tier's cluster record, or None (read only for an audit or report that asks for the eks tier)."""
        return self._once("eks_cluster", lambda: self.clients.eks.describe_cluster(name=names.eks(self.stack)["cluster"]))

    def eks_nodegroups(self):
        """The cluster's node group records ([] without a cluster)."""

        def read():
            cluster = self.eks_cluster()
            if not cluster:
                return []
            found = [
                self.clients.eks.describe_nodegroup(clusterName=cluster["name"], nodegroupName=name)
                for name in self.clients.eks.list_nodegroups(clusterName=cluster["name"])
            ]
            return [group for group in found if group]

        return self._once("eks_nodegroups", read)

    # ------------------------------------------------------------ observability

    def amp_workspace(self):
        """The observability tier's Prometheus workspace (described: its status and endpoint), or None."""

        def read():
            alias = names.observability(self.stack)["workspace"]
            found = [w for w in self.clients.amp.list_workspaces(alias=alias) if w.get("alias") == alias and (w.get("tags") or {}).get(TAG_STACK) == self.stack]
            return self.clients.amp.describe_workspace(workspaceId=found[0]["workspaceId"]) if found else None

        return self._once("amp_workspace", read)

    def amp_rules(self):
        """The rule groups namespace of the workspace (its data: the rule file), or None."""

        def read():
            workspace = self.amp_workspace()
            if not workspace:
                return None
            return self.clients.amp.describe_rule_groups_namespace(
                workspaceId=workspace["workspaceId"], name=names.observability(self.stack)["rules_namespace"]
            )

        return self._once("amp_rules", read)

    def amp_alert_manager(self):
        """The workspace's alert manager definition (its status and data: where the alerts go), or None."""

        def read():
            workspace = self.amp_workspace()
            return self.clients.amp.describe_alert_manager_definition(workspaceId=workspace["workspaceId"]) if workspace else None

        return self._once("amp_alert_manager", read)

    def scrape_config(self):
        """The agent's scrape configuration (the SSM parameter's value), or None."""

        def read():
            found = self.clients.ssm.get_parameter(Name=names.observability(self.stack)["scrape_parameter"], missing=None)
            return found["Parameter"]["Value"] if found else None

        return self._once("scrape_config", read)


APP_READS = {
    "load_balancer": lambda clients: clients.elbv2.load_balancers_named,
    "target_group": lambda clients: clients.elbv2.target_groups_named,
    "auto_scaling_group": lambda clients: clients.autoscaling.groups_named,
}
APP_KEYS = {
    "load_balancer": "LoadBalancerName",
    "target_group": "TargetGroupName",
    "auto_scaling_group": "AutoScalingGroupName",
    "launch_template": "LaunchTemplateName",
}


def _named(resources, key, name):
    """The resource whose ``key`` is ``name``, or None."""
    return next((resource for resource in resources if resource[key] == name), None)
