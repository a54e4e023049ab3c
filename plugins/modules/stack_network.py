#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_network
short_description: Reconcile the whole network of a stack (VPC, subnets, gateways, routes, NACLs, security-group chain)
version_added: 0.1.0
description:
  - Reads the stack's network in a few filtered, paginated describes (found by the C(hatrading:stack) and
    C(hatrading:tier=network) tags), compares it with the wanted one, and applies only the difference.
  - Builds a VPC over 2 to 6 AZs with three subnet layers per AZ (public, app, data), an internet gateway,
    NAT gateways per AZ, single or none, route tables (public to the internet gateway, app to the NAT of its
    own AZ, data with no way out), a network ACL per layer and the least-privilege security-group chain
    public ALB, front-end, internal ALB, back-end, database. The VPC's default security group is emptied.
  - A rerun that finds everything in place makes only read calls and reports no change.
  - Fields AWS cannot change in place (VPC and subnet CIDRs, a subnet's AZ) are refused with a message
    rather than replaced, since replacing them would take down what runs there.
  - With O(flow_log), the VPC's flow log, its log group and delivery role are reconciled in the same run, as
    M(hatrading.aws.vpc_flow_log) does (made after the network, deleted before it), so the tier is one module run.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  vpc_cidr:
    description: IPv4 CIDR of the VPC, /16 to /24. Required when O(state=present).
    type: str
  availability_zones:
    description:
      - The AZs to use, in order. When empty, the AZs the stack already uses are kept and topped up in name
        order to O(az_count).
    type: list
    elements: str
    default: []
  az_count:
    description: How many AZs to use when O(availability_zones) is empty.
    type: int
    default: 2
  subnet_newbits:
    description:
      - Extra prefix bits of the computed subnets (a /16 VPC with 5 gives /21 subnets). Subnet slots are
        layer * 8 + AZ index, so adding an AZ never moves an existing subnet.
    type: int
    default: 5
  subnets:
    description: Explicit CIDRs per layer (keys V(public), V(app), V(data)), one per AZ, instead of computed ones.
    type: dict
  nat_mode:
    description:
      - V(per_az) gives every AZ its own NAT gateway (the HA choice); V(single) one NAT for all (cost);
        V(none) leaves the app subnets without a way out.
    type: str
    choices: [per_az, single, none]
    default: per_az
  resilience:
    description: V(ha) refuses settings that leave a single point of failure (one AZ, one NAT); V(cost) allows them.
    type: str
    choices: [ha, cost]
    default: ha
  alb_listener_ports:
    description: Ports the public ALB listens on.
    type: list
    elements: int
    default: [80, 443]
  alb_ingress_cidrs:
    description: Who may reach the public ALB.
    type: list
    elements: str
    default: [0.0.0.0/0]
  frontend_port:
    description: Port of the front-end container on its instances.
    type: int
    default: 8080
  internal_alb_port:
    description: Port the internal ALB listens on.
    type: int
    default: 80
  backend_port:
    description: Port of the back-end container on its instances.
    type: int
    default: 8081
  database_port:
    description: Port of the database.
    type: int
    default: 5432
  restrict_default_security_group:
    description: Remove every rule of the VPC's default security group, so nothing can use it by accident.
    type: bool
    default: true
  wait:
    description:
      - Wait until new NAT gateways are available. With V(false) they are left C(pending) and their IDs returned
        in RV(nat_gateways_pending), for M(hatrading.aws.stack_wait) to wait on before anything needs egress
        (C(site.yml) waits just before the compute tier). Deletes always wait (their addresses are released after).
    type: bool
    default: true
  flow_log:
    description:
      - The VPC's flow log to CloudWatch Logs, reconciled in the same run (see M(hatrading.aws.vpc_flow_log) for each
        option). Omitted, the module leaves flow logs alone. With O(state=absent), the flow log, its role and (unless
        O(flow_log.retain_log_group)) its log group are deleted before the network.
    type: dict
    suboptions:
      name:
        description: The flow log's C(Name) tag (O(hatrading.aws.vpc_flow_log#module:name)); C(<stack>-vpc-flow-log) when omitted.
        type: str
      log_group_name:
        description: As O(hatrading.aws.vpc_flow_log#module:log_group_name).
        type: str
      retention_days:
        description: As O(hatrading.aws.vpc_flow_log#module:retention_days).
        type: int
        default: 30
      traffic_type:
        description: As O(hatrading.aws.vpc_flow_log#module:traffic_type).
        type: str
        choices: [ALL, ACCEPT, REJECT]
        default: ALL
      max_aggregation_interval:
        description: As O(hatrading.aws.vpc_flow_log#module:max_aggregation_interval).
        type: int
        choices: [60, 600]
        default: 600
      role_name:
        description: As O(hatrading.aws.vpc_flow_log#module:role_name).
        type: str
      retain_log_group:
        description: As O(hatrading.aws.vpc_flow_log#module:retain_log_group) (with O(state=absent)).
        type: bool
        default: false
  wait_timeout:
    description: Seconds to wait for NAT gateways to become available or deleted.
    type: int
    default: 900
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: Build the network of stack "prod" over three AZs
  hatrading.aws.stack_network:
    stack: prod
    vpc_cidr: 10.20.0.0/16
    az_count: 3
    nat_mode: per_az
    tags:
      cost-center: trading

- name: Show what would change, without changing it
  hatrading.aws.stack_network:
    stack: prod
    vpc_cidr: 10.20.0.0/16
  check_mode: true
  register: network_plan

- name: Print the plan
  ansible.builtin.debug:
    var: network_plan.plan_text

- name: Delete the network of stack "prod"
  hatrading.aws.stack_network:
    stack: prod
    state: absent
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample:
    - {"action": "create", "kind": "subnet", "name": "prod-public-us-east-1a"}
    - {"action": "update", "kind": "route_table", "name": "prod-app-us-east-1a", "fields": ["routes"]}
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ vpc prod-vpc", "Plan: 1 to create, 0 to update, 0 to delete."]
nat_gateways_pending:
  description: IDs of the NAT gateways this run created and did not wait for (O(wait=false)); empty otherwise.
  returned: always
  type: list
  elements: str
  sample: ["nat-0a1b2c3d"]
network:
  description: IDs of the stack's network by Name, after the changes (in check mode, as found).
  returned: always
  type: dict
  contains:
    vpc_id:
      description: ID of the VPC, or null when there is none.
      type: str
      sample: vpc-0a1b2c3d
    internet_gateway_id:
      description: ID of the internet gateway.
      type: str
      sample: igw-0a1b2c3d
    subnets:
      description: Subnet IDs by Name.
      type: dict
      sample: {"prod-app-us-east-1a": "subnet-0a1b2c3d"}
    nat_gateways:
      description: NAT gateway IDs by Name.
      type: dict
      sample: {"prod-nat-us-east-1a": "nat-0a1b2c3d"}
    route_tables:
      description: Route table IDs by Name.
      type: dict
      sample: {"prod-public": "rtb-0a1b2c3d"}
    network_acls:
      description: Network ACL IDs by Name.
      type: dict
      sample: {"prod-data": "acl-0a1b2c3d"}
    security_groups:
      description: Security group IDs by Name.
      type: dict
      sample: {"prod-backend": "sg-0a1b2c3d"}
flow_log:
  description: With O(flow_log), the flow log after the changes (in check mode, as found); empty when there is none.
  returned: when O(flow_log) is given
  type: dict
  sample: {"flow_log_id": "fl-0a1b2c3d", "log_group_name": "/hatrading/prod/vpc-flow-logs", "role_arn": "arn:aws:iam::123456789012:role/prod-vpc-flow-logs"}
"""

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.network import apply
from ansible_collections.hatrading.aws.plugins.module_utils.network.flow_log import FLOW_LOG_OPTIONS

ARGUMENT_SPEC = dict(
    TIER_SPEC,
    vpc_cidr=dict(type="str"),
    availability_zones=dict(type="list", elements="str", default=[]),
    az_count=dict(type="int", default=2),
    subnet_newbits=dict(type="int", default=5),
    subnets=dict(type="dict"),
    nat_mode=dict(type="str", choices=["per_az", "single", "none"], default="per_az"),
    resilience=dict(type="str", choices=["ha", "cost"], default="ha"),
    alb_listener_ports=dict(type="list", elements="int", default=[80, 443]),
    alb_ingress_cidrs=dict(type="list", elements="str", default=["0.0.0.0/0"]),
    frontend_port=dict(type="int", default=8080),
    internal_alb_port=dict(type="int", default=80),
    backend_port=dict(type="int", default=8081),
    database_port=dict(type="int", default=5432),
    restrict_default_security_group=dict(type="bool", default=True),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=900),
    flow_log=dict(type="dict", options=dict(name=dict(type="str"), **FLOW_LOG_OPTIONS)),
)


def main():
    run_tier("network", ARGUMENT_SPEC, apply.validate_params, apply.reconcile_with_flow_log, required_if=[("state", "present", ["vpc_cidr"])])


if __name__ == "__main__":
    main()
