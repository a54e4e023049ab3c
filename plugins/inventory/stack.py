# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: stack
short_description: The instances of one hatrading stack, grouped by tier, zone, Auto Scaling group, lifecycle and target health
version_added: 0.1.0
description:
  - Finds the EC2 instances tagged C(hatrading:stack=<stack>) in the listed regions, with few API calls, and groups
    them without any configuration.
  - "Groups: C(tier_<tier>) (tag C(hatrading:component) when set, as the compute tier sets it to C(frontend) or
    C(backend), else tag C(hatrading:tier)), C(region_<region>), C(az_<zone>), C(asg_<Auto Scaling group>),
    C(lifecycle_<state>) (C(lifecycle_pending), C(lifecycle_inservice), C(lifecycle_terminating), C(lifecycle_standby),
    C(lifecycle_detaching), C(lifecycle_warmed)) and the target health groups C(healthy), C(initial), C(unhealthy)
    and C(draining), so that a play can target C(tier_backend:&healthy). Characters other than letters, digits and
    C(_) become C(_) in group names."
  - Target health is read from the target groups tagged with the stack; an instance in several target groups of its
    tier joins the group of its worst state (draining, then unhealthy, then initial, then healthy).
  - "Host variables: C(instance_id), C(region), C(availability_zone), C(private_ip_address), C(tier),
    C(image_tag) (tag C(hatrading:image)), C(asg_name), C(lifecycle_state), C(launch_template_version),
    C(target_group_arns), C(health) (the aggregate target health), C(target_health) (state by target group ARN, only
    for an instance in several target groups), and the connection variables of O(connection)."
  - "With O(all_hostvars=true) also: C(private_dns_name), C(public_ip_address), C(instance_type), C(image_id),
    C(instance_state), C(launch_time), C(subnet_id), C(vpc_id), C(instance_tags), C(stack), C(instance_name)
    (tag C(Name)), C(asg_health_status), C(launch_template_id), C(launch_template_name). O(compose), O(groups) and
    O(keyed_groups) see all of them either way."
  - A variable without a value (for example C(asg_name) of an instance outside Auto Scaling) is not set, for
    O(compose), O(groups) and O(keyed_groups) too (test it with C(is defined), or give a default with the
    C(default) filter).
  - "API calls per region: DescribeInstances (server-side filters, 1,000 a page), DescribeAutoScalingGroups filtered
    by the stack tag (DescribeAutoScalingInstances, 50 IDs a call, only for members of groups without the tag),
    DescribeTargetGroups, DescribeTags (20 ARNs a call) and one DescribeTargetHealth per target group of the stack.
    The three services are queried concurrently, and so are the regions."
  - The inventory file must end with C(hatrading_stack.yml) or C(hatrading_stack.yaml).
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
author:
  - hatrading.aws maintainers (@hatrading)
options:
  plugin:
    description: The name of this plugin; it makes the file an inventory source for it.
    type: str
    required: true
    choices: [hatrading.aws.stack]
  stack:
    description:
      - Name of the stack whose instances make the inventory (tag C(hatrading:stack)). Required.
    type: str
  regions:
    description:
      - The regions to search. At least one is required; an empty list is an error (it never means every region).
    type: list
    elements: str
    default: []
  instance_states:
    description:
      - The EC2 instance states to include (a server-side filter).
    type: list
    elements: str
    default: [pending, running, stopping, stopped]
  hostname:
    description:
      - What names the hosts. V(instance_id) is unique and stable; the addresses fall back to the instance ID
        when an instance has none (or shares one).
    type: str
    choices: [instance_id, private_ip_address, private_dns_name]
    default: instance_id
  connection:
    description:
      - V(ssm) sets C(ansible_connection=amazon.aws.aws_ssm), C(ansible_host) to the instance ID (which the
        connection uses when C(ansible_aws_ssm_instance_id) is unset) and C(ansible_aws_ssm_region).
      - V(ssh) sets C(ansible_connection=ssh) and C(ansible_host) to the address O(ssh_address) chooses, plus
        C(ansible_user) and a C(ProxyJump) through O(ssh_bastion) when given.
      - V(none) sets no connection variable (use O(compose)).
    type: str
    choices: [ssm, ssh, none]
    default: ssm
  ssm_bucket_name:
    description: S3 bucket the SSM connection uses for file transfers (C(ansible_aws_ssm_bucket_name)).
    type: str
  ssh_user:
    description: C(ansible_user) for O(connection=ssh).
    type: str
  ssh_address:
    description: Which address C(ansible_host) holds with O(connection=ssh).
    type: str
    choices: [private, public]
    default: private
  ssh_bastion:
    description: A C(user@host) to jump through with O(connection=ssh) (C(-o ProxyJump=...) in C(ansible_ssh_common_args)).
    type: str
  all_hostvars:
    description:
      - Set every fact as a host variable, not only the essential ones (see the description).
      - Each host variable costs ansible-core time for every host; at 10,000 hosts that is most of a run.
    type: bool
    default: false
  include_autoscaling:
    description: Read Auto Scaling facts (C(asg_*) and C(lifecycle_*) groups, launch template version).
    type: bool
    default: true
  include_health:
    description: Read target health (the C(healthy), C(initial), C(unhealthy) and C(draining) groups, C(target_group_arns)).
    type: bool
    default: true
  strict_permissions:
    description:
      - By default an access denied answer (403) fails the inventory, naming the region and the API call.
      - With V(false) it is a warning; the region is skipped when DescribeInstances is denied, and only its Auto Scaling
        or health facts are missing when those calls are denied.
    type: bool
    default: true
  retries:
    description:
      - Attempts per API call when AWS throttles or fails temporarily (jittered exponential backoff).
      - A region whose calls still fail is named in the error. With O(strict=false) the other regions still load
        (as a warning), unless every region failed.
    type: int
    default: 6
notes:
  - Use O(cache=true) with a persistent cache plugin (for example C(ansible.builtin.jsonfile) and O(cache_connection))
    to skip every API call until O(cache_timeout) expires. An unreadable or stale-format cache entry is ignored and
    refreshed. A run with a failed region is not cached.
  - The API calls need C(ec2:DescribeInstances), C(autoscaling:DescribeAutoScalingGroups),
    C(autoscaling:DescribeAutoScalingInstances), C(elasticloadbalancing:DescribeTargetGroups),
    C(elasticloadbalancing:DescribeTags) and C(elasticloadbalancing:DescribeTargetHealth).
"""

EXAMPLES = r"""
# demo.hatrading_stack.yml: the demo stack, reached through SSM
plugin: hatrading.aws.stack
stack: demo
regions: [us-east-1]

# ansible-inventory -i demo.hatrading_stack.yml --graph
# ansible -i demo.hatrading_stack.yml 'tier_backend:&healthy' -m ansible.builtin.ping

---
# Two regions, SSH through a bastion, cached for five minutes, extra groups
plugin: hatrading.aws.stack
stack: prod
regions: [us-east-1, us-west-2]
connection: ssh
ssh_user: ec2-user
ssh_bastion: ec2-user@bastion.example.com
strict: true
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/hatrading-inventory
cache_timeout: 300
keyed_groups:
  - key: image_tag
    prefix: image
groups:
  out_of_date: launch_template_version != '3'
compose:
  ansible_python_interpreter: "'/usr/bin/python3'"
"""

try:
    import botocore
except ImportError:
    pass  # AWSInventoryBase reports a missing botocore

from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.hatrading.aws.plugins.module_utils import inventory_stack as inv

SERVICE_CALLS = {
    "ec2": "ec2:DescribeInstances",
    "autoscaling": "autoscaling:DescribeAutoScalingGroups/DescribeAutoScalingInstances",
    "elbv2": "elasticloadbalancing:DescribeTargetGroups/DescribeTags/DescribeTargetHealth",
}


class RegionFailure(Exception):
    """One service of one region could not be read."""

    def __init__(self, region, service, error):
        super(RegionFailure, self).__init__("%s: %s" % (region, error))
        self.region = region
        self.service = service
        self.error = error
        self.denied = inv.is_permission_error(error)

    def describe(self):
        return "region %s: %s %s: %s" % (self.region, SERVICE_CALLS[self.service], "denied" if self.denied else "failed", to_native(self.error))


class InventoryModule(AWSInventoryBase):
    NAME = "hatrading.aws.stack"
    INVENTORY_FILE_SUFFIXES = ("hatrading_stack.yml", "hatrading_stack.yaml")

    class TemplatedOptions(AWSInventoryBase.TemplatedOptions):
        """The base class's templating, without the ``disable_lookups`` argument ansible-core 2.19 deprecates."""

        def get(self, *args):
            value = self.original_options.get(*args)
            if not value or not self.templar or args[0] not in self.TEMPLATABLE_OPTIONS:
                return value
            if isinstance(value, dict):
                return dict((key, self._render(item)) for key, item in value.items())
            if isinstance(value, list):
                return [self._render(item) for item in value]
            return self._render(value)

        def _render(self, value):
            if isinstance(value, str) and self.templar.is_template(value):
                return self.templar.template(value)
            return value

    def _do_fail(self, message):
        raise AnsibleParserError("%s: %s" % (self.NAME, message))

    # -- reading AWS ----------------------------------------------------------------------------------

    def _client(self, service, region):
        retry = AWSRetry.jittered_backoff(retries=max(1, self.get_option("retries")), delay=1, max_delay=20)
        # botocore's own retries off: the jittered backoff above is the one retry policy.
        config = botocore.config.Config(retries={"total_max_attempts": 1}, max_pool_connections=4)
        return self.client(service, region=region, retry_decorator=retry, config=config)

    @staticmethod
    def _guarded(region, service, call, *args):
        try:
            return call(*args)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise RegionFailure(region, service, error) from error

    def _query(self, stack, regions, states, include_autoscaling, include_health):
        """{region: answer} for the regions that answered, and the RegionFailures of the others."""
        jobs = {}
        with ThreadPoolExecutor(max_workers=min(12, 3 * len(regions))) as pool:
            # Clients are made here, in one thread (the templar is not thread-safe); the calls run concurrently.
            for region in regions:
                ec2 = self._client("ec2", region)
                jobs[(region, "ec2")] = pool.submit(self._guarded, region, "ec2", inv.describe_stack_instances, ec2, stack, region, states)
            asg_clients = {}
            for region in regions:
                if include_autoscaling:
                    asg_clients[region] = self._client("autoscaling", region)
                    call = inv.describe_stack_autoscaling
                    jobs[(region, "autoscaling")] = pool.submit(self._guarded, region, "autoscaling", call, asg_clients[region], stack)
                if include_health:
                    elbv2 = self._client("elbv2", region)
                    jobs[(region, "elbv2")] = pool.submit(self._guarded, region, "elbv2", inv.describe_stack_health, elbv2, stack)
            outcome = {}
            for key, future in jobs.items():
                try:
                    outcome[key] = future.result()
                except RegionFailure as failure:
                    outcome[key] = failure

        answers, failures = {}, []
        for region in regions:
            records = outcome[(region, "ec2")]
            autoscaling = outcome.get((region, "autoscaling"), {})
            health = outcome.get((region, "elbv2"), ({}, []))
            region_failures = [part for part in (records, autoscaling, health) if isinstance(part, RegionFailure)]
            if isinstance(records, RegionFailure):
                failures.extend(region_failures)
                continue
            if isinstance(autoscaling, dict) and include_autoscaling:
                # Members of Auto Scaling groups that lack the stack tag: DescribeAutoScalingInstances, 50 IDs a call.
                missing = inv.unmatched_asg_members(records, autoscaling)
                if missing:
                    try:
                        autoscaling.update(self._guarded(region, "autoscaling", inv.describe_autoscaling_instances, asg_clients[region], missing))
                    except RegionFailure as failure:
                        region_failures.append(failure)
                        autoscaling = failure
            failures.extend(region_failures)
            if any(not failure.denied for failure in region_failures):
                continue  # a region read in part is not served: it would put hosts in the wrong groups
            if isinstance(autoscaling, RegionFailure):
                autoscaling = {}
            if isinstance(health, RegionFailure):
                health = ({}, [])
            answers[region] = {"records": records, "autoscaling": autoscaling, "health": health[0], "target_groups": health[1]}
        return answers, failures

    def _judge(self, failures, regions, answers):
        """Fail, or warn and go on, per strict_permissions and strict."""
        denied = [failure for failure in failures if failure.denied]
        failed = [failure for failure in failures if not failure.denied]
        if denied and self.get_option("strict_permissions"):
            self.fail_aws("access denied (set strict_permissions: false to skip it): " + "; ".join(f.describe() for f in denied))
        if failed:
            names = sorted(set(failure.region for failure in failed))
            message = "could not read region(s) %s: %s" % (", ".join(names), "; ".join(f.describe() for f in failed))
            if self.get_option("strict") or not answers:
                self.fail_aws(message)
            self.warn("%s: %s; the other regions are loaded (strict: false)" % (self.NAME, message))
        for failure in denied:
            self.warn("%s: %s (strict_permissions: false)" % (self.NAME, failure.describe()))

    # -- the cache --------------------------------------------------------------------------------------

    def _read_cache(self, path, cache, fingerprint):
        if not cache or not self.get_option("cache"):
            return None
        key = self.get_cache_key(path)
        try:
            entry = self._cache[key]
        except KeyError:
            return None
        except Exception as error:  # a corrupt or unreadable cache file is a miss, never a failure
            self.warn("%s: ignoring the unreadable inventory cache (%s); querying AWS" % (self.NAME, to_native(error)))
            return None
        if not inv.valid_cache_entry(entry, fingerprint):
            self.warn("%s: ignoring an inventory cache entry of another query or format; querying AWS" % self.NAME)
            return None
        return entry

    def _write_cache(self, path, entry):
        if self.get_option("cache"):
            self._cache[self.get_cache_key(path)] = entry

    # -- the inventory ------------------------------------------------------------------------------------

    def _populate(self, entry):
        settings = {
            "hostname": self.get_option("hostname"),
            "connection": self.get_option("connection"),
            "ssm_bucket_name": self.get_option("ssm_bucket_name"),
            "ssh_user": self.get_option("ssh_user"),
            "ssh_address": self.get_option("ssh_address"),
            "ssh_bastion": self.get_option("ssh_bastion"),
        }
        records, autoscaling, health, target_groups = [], {}, {}, {}
        for answer in entry["regions"].values():
            records.extend(answer["records"])
            autoscaling.update(answer["autoscaling"])
            health.update(answer["health"])
            target_groups.update((group["arn"], group) for group in answer["target_groups"])
        strict = self.get_option("strict")
        compose, conditionals, keyed = self.get_option("compose"), self.get_option("groups"), self.get_option("keyed_groups")
        inventory = self.inventory
        known_groups = set()
        everything = self.get_option("all_hostvars")
        for name, all_facts, groups in inv.build_hosts(records, autoscaling, health, target_groups, settings):
            inventory.add_host(name)
            for key, value in inv.host_variables(all_facts, everything).items():
                inventory.set_variable(name, key, value)
            # compose, groups and keyed_groups see every fact that has a value
            facts = inv.host_variables(all_facts, True)
            for group in groups:
                if group not in known_groups:
                    inventory.add_group(group)
                    known_groups.add(group)
                inventory.add_child(group, name)
            if compose:
                self._set_composite_vars(compose, facts, name, strict=strict)
            if conditionals:
                self._add_host_to_composed_groups(conditionals, facts, name, strict=strict)
            if keyed:
                self._add_host_to_keyed_groups(keyed, facts, name, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        try:
            self._parse(path, cache)
        except AnsibleError:
            raise
        except Exception as error:  # never a traceback: anything unexpected is one error line
            raise AnsibleParserError("%s: unexpected error: %s" % (self.NAME, to_native(error))) from error

    def _parse(self, path, cache):
        stack = self.get_option("stack")
        if not stack or not isinstance(stack, str):
            self.fail_aws("option 'stack' is required: the name of the stack (tag hatrading:stack) whose instances make the inventory")
        regions = self.get_option("regions") or []
        if not regions:
            self.fail_aws("option 'regions' must list at least one region (an empty list does not mean every region)")
        # plain str: option values carry Ansible metadata (origin, trust) that would follow them into every record and the cache
        regions = sorted(set("%s" % region for region in regions))
        stack = "%s" % stack
        states = self.get_option("instance_states")
        include_autoscaling, include_health = self.get_option("include_autoscaling"), self.get_option("include_health")
        fingerprint = inv.query_fingerprint(stack, regions, states, include_autoscaling, include_health)

        entry = self._read_cache(path, cache, fingerprint)
        if entry is None:
            answers, failures = self._query(stack, regions, states, include_autoscaling, include_health)
            self._judge(failures, regions, answers)
            entry = {"query": fingerprint, "regions": answers}
            if not any(not failure.denied for failure in failures):
                self._write_cache(path, entry)
        self._populate(entry)
