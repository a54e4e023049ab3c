"""A no-op rerun of the whole demo stack (issue 13 section 3): within its read budget, each shared thing read once.

Counted by moto's request record, never timed: counts are exact and hold on a loaded machine.
"""

from collections import Counter

DEMO = ("-e", "@playbooks/vars/demo.yml")
# The reads of a no-op rerun of site.yml with demo.yml, report included (166 before the tiers handed their reads on):
# 107, plus one read each by which the monitoring tier and the report find the optional observability and logs
# tiers' workspace and domain (none in the demo; found by the stack's tags, not by a switch).
READ_BUDGET = 109
# Read once by the first tier that needs them, then handed on to the later tiers and the report.
READ_ONCE = (
    ("ec2", "DescribeVpcs"),
    ("ec2", "DescribeSubnets"),
    ("ec2", "DescribeSecurityGroups"),
    ("ec2", "DescribeRouteTables"),
    ("ec2", "DescribeNetworkAcls"),
    ("ec2", "DescribeNatGateways"),
    ("ec2", "DescribeLaunchTemplates"),
    ("ec2", "DescribeInstanceTypeOfferings"),
    ("elasticloadbalancing", "DescribeLoadBalancers"),
    ("elasticloadbalancing", "DescribeTargetGroups"),
    ("elasticloadbalancing", "DescribeTags"),
    ("autoscaling", "DescribeAutoScalingGroups"),
    ("monitoring", "DescribeAlarms"),
    ("sts", "GetCallerIdentity"),
)


def reads_of(moto):
    return Counter((call["service"], call["operation"]) for call in moto.calls() if call["kind"] == "read")


def test_a_no_op_rerun_reads_each_thing_once_within_the_budget(fresh_moto, ansible):
    first = ansible.playbook("playbooks/site.yml", extra_args=DEMO)
    assert first["rc"] == 0, first["stderr"][-2000:]

    fresh_moto.forget_calls()
    again = ansible.playbook("playbooks/site.yml", extra_args=DEMO)
    assert again["rc"] == 0, again["stderr"][-2000:]
    assert again["stats"]["localhost"]["changed"] == 0, [name for name, task in again["tasks"].items() if task.get("changed")]
    assert fresh_moto.mutating_calls() == []
    reads = reads_of(fresh_moto)
    assert dict((key, reads[key]) for key in READ_ONCE) == dict((key, 1) for key in READ_ONCE), reads
    assert sum(reads.values()) <= READ_BUDGET, (sum(reads.values()), sorted(reads.items()))

    # a tier run alone is handed nothing from tiers that did not run: it reads the network itself
    fresh_moto.forget_calls()
    alone = ansible.playbook("playbooks/site.yml", extra_args=DEMO, tags="database")
    assert alone["rc"] == 0, alone["stderr"][-2000:]
    assert alone["stats"]["localhost"]["changed"] == 0
    assert fresh_moto.mutating_calls() == []
    reads = reads_of(fresh_moto)
    assert reads[("ec2", "DescribeSubnets")] == 1 and reads[("ec2", "DescribeSecurityGroups")] == 1, reads
    assert reads[("rds", "DescribeDBInstances")] >= 1, reads
