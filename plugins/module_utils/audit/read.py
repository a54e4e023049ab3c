# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the audit looks at, read through the stack view: only the tiers asked (subnets serve every tier)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView


def read_snapshot(clients, stack, tiers, view=None):
    """The raw describe records :func:`audit.model.audit` checks, as a plain dict (``view``: a StackView to share)."""
    view = view or StackView(clients, stack)
    snapshot = {"stack": stack, "vpcs": [], "subnets": view.subnets(), "nat_gateways": [], "route_tables": [], "flow_logs": []}
    snapshot.update(auto_scaling_groups=[], load_balancers=[], target_groups=[], target_health={}, db_instances=[], db_clusters=[])
    if "network" in tiers:
        snapshot.update(vpcs=view.vpcs(), nat_gateways=view.nat_gateways(), route_tables=view.route_tables(), flow_logs=view.flow_logs())
        snapshot["security_groups"] = view.security_groups()
    if "compute" in tiers:
        snapshot.update(auto_scaling_groups=view.auto_scaling_groups(), load_balancers=view.load_balancers(), target_groups=view.target_groups())
        snapshot["target_health"] = dict((group["TargetGroupArn"], view.target_health(group["TargetGroupArn"])) for group in snapshot["target_groups"])
    if "database" in tiers:
        snapshot.update(db_clusters=view.db_clusters(), db_instances=view.db_instances())
    snapshot["dynamodb_tables"] = view.dynamodb_tables_with_backups() if "nosql" in tiers else []
    snapshot["opensearch_domain"] = view.opensearch_domain() if "logs" in tiers else None
    if "eks" in tiers:
        snapshot.update(eks_cluster=view.eks_cluster(), eks_nodegroups=view.eks_nodegroups())
    if "observability" in tiers:
        snapshot.update(amp_workspace=view.amp_workspace(), amp_rules=view.amp_rules(), scrape_config=view.scrape_config())
        snapshot["amp_alert_manager"] = view.amp_alert_manager()
    return snapshot
