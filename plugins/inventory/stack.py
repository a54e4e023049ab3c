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
    and C(draining), so that a play can target C(tier_backend:&healthy). With O(accounts) also C(account_<id>);
    with O(include_ssm) and O(connection=ssm) also C(ssm_online), C(ssm_connectionlost), C(ssm_inactive) and
    C(ssm_unregistered) (SSM does not know the instance). Characters other than letters, digits and C(_) become
    C(_) in group names."
  - Target health is read from the target groups tagged with the stack; an instance in several target groups of its
    tier joins the group of its worst state (draining, then unhealthy, then initial, then healthy).
  - "Host variables: C(instance_id), C(region), C(availability_zone), C(private_ip_address), C(tier),
    C(image_tag) (tag C(hatrading:image)), C(asg_name), C(lifecycle_state), C(launch_template_version),
    C(target_group_arns), C(health) (the aggregate target health), C(target_health) (state by target group ARN, only
    for an instance in several target groups), C(account_id) (with O(accounts)), C(ssm_ping_status) (with
    O(include_ssm)), and the connection variables of O(connection)."
  - "With O(all_hostvars=true) also: C(private_dns_name), C(public_ip_address), C(instance_type), C(image_id),
    C(instance_state), C(launch_time), C(subnet_id), C(vpc_id), C(instance_tags), C(stack), C(instance_name)
    (tag C(Name)), C(asg_health_status), C(launch_template_id), C(launch_template_name). O(compose), O(groups) and
    O(keyed_groups) see all of them either way."
  - A variable without a value (for example C(asg_name) of an instance outside Auto Scaling) is not set, for
    O(compose), O(groups) and O(keyed_groups) too (test it with C(is defined), or give a default with the
    C(default) filter).
  - "API calls per region: DescribeInstances (server-side filters, 1,000 a page), DescribeAutoScalingGroups filtered
    by the stack tag (DescribeAutoScalingInstances, 50 IDs a call, only for members of groups without the tag),
    DescribeTargetGroups, DescribeTags (20 ARNs a call) and one DescribeTargetHealth per target group of the stack;
    with O(include_ssm), ssm DescribeInstanceInformation for the stack's instances (50 IDs a call, batches
    concurrently). Per account of O(accounts), one sts AssumeRole first. Accounts, regions and services are
    queried concurrently (one thread pool)."
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
      - The regions to search. At least one is required (here or in every entry of O(accounts)); an empty list is
        an error (it never means every region).
    type: list
    elements: str
    default: []
  accounts:
    description:
      - Several AWS accounts, each read with a role assumed in it (sts AssumeRole, with the plugin's own
        credentials), all at once. Without it, the plugin's own credentials read O(regions).
      - Each entry is a dictionary. C(role_arn) is the role to assume (C(arn:aws:iam::<account>:role/<name>));
        an entry without it is read with the plugin's own credentials. C(regions) lists the account's regions
        (default O(regions)). C(external_id) and C(session_name) (default C(hatrading-stack-inventory)) are
        passed to AssumeRole.
      - Hosts get C(account_id) and join C(account_<id>). A role that cannot be assumed fails the inventory like
        a region that cannot be read (see O(strict) and O(strict_permissions)).
    type: list
    elements: dict
    version_added: 0.2.0
  include_ssm:
    description:
      - With O(connection=ssm), read the SSM agent ping status of the stack's instances (ssm
        DescribeInstanceInformation, 50 instance IDs a call) into C(ssm_ping_status) and the groups C(ssm_online),
        C(ssm_connectionlost), C(ssm_inactive) and C(ssm_unregistered), so that a play can target
        C(tier_backend:&ssm_online). Ignored with another connection.
      - Needs C(ssm:DescribeInstanceInformation).
    type: bool
    default: false
    version_added: 0.2.0
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

---
# A fleet: three accounts, a role assumed in each, their regions read at once; SSM ping status groups
plugin: hatrading.aws.stack
stack: prod
regions: [us-east-1, eu-west-1]
accounts:
  - role_arn: arn:aws:iam::111111111111:role/inventory-read
  - role_arn: arn:aws:iam::222222222222:role/inventory-read
    regions: [us-east-1, us-west-2, eu-west-1, ap-southeast-1]
  - role_arn: arn:aws:iam::333333333333:role/inventory-read
    external_id: hatrading
include_ssm: true
# ansible -i fleet.hatrading_stack.yml 'tier_backend:&ssm_online:&account_222222222222' -m ansible.builtin.ping
"""

try:
    import boto3
    import botocore
except ImportError:
    pass  # AWSInventoryBase reports a missing botocore

from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.amazon.aws.plugins.plugin_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.hatrading.aws.plugins.module_utils.inventory import model as inv
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import SERVICES

SERVICE_CALLS = {
    "sts": "sts:AssumeRole",
    "ssm": "ssm:DescribeInstanceInformation",
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
        where = "account %s region %s" % tuple(self.region.split("/", 1)) if "/" in self.region else "region %s" % self.region
        return "%s: %s %s: %s" % (where, SERVICE_CALLS[self.service], "denied" if self.denied else "failed", to_native(self.error))


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

    def _client(self, service, region, credentials=None):
        """A client of ``service`` in ``region``, with the plugin's connection options (or ``credentials``).

        amazon.aws makes a boto3 session per client, and each session loads the service's model again (the
        EC2 model is megabytes of JSON): with 4 regions most of a cold run. Clients here share one session
        per profile, so each model is loaded once per run.
        """
        _region, endpoint, params = get_aws_connection_info(self)
        params = dict(params, **self._frozen_credentials)  # assume_role_arn's credentials, when given
        params.update(credentials or {})
        profile = params.pop("profile_name", None)
        # botocore's own retries off: the jittered backoff above is the one retry policy.
        config = botocore.config.Config(retries={"total_max_attempts": 1}, max_pool_connections=inv.SSM_WORKERS)
        for extra in (params.pop("config", None), params.pop("aws_config", None)):
            if extra:
                config = config.merge(extra if isinstance(extra, botocore.config.Config) else botocore.config.Config(**extra))
        sessions = self.__dict__.setdefault("_sessions", {})
        if profile not in sessions:
            sessions[profile] = boto3.session.Session(profile_name=profile)
        client = sessions[profile].client(service, region_name=region, endpoint_url=endpoint, config=config, **params)
        # the AWS layer's retry, with the inventory's own budget: short waits, a fleet cannot sit out minutes
        return SERVICES[service](client, retries=max(1, self.get_option("retries")), delay=1, max_delay=20)

    @staticmethod
    def _guarded(where, service, call, *args):
        try:
            return call(*args)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise RegionFailure(where, service, error) from error

    def _read_instances(self, where, ec2, ssm, stack, region, states, account_id):
        """The region's host records, and its SSM ping status (None when not asked, a RegionFailure when unread)."""
        records = self._guarded(where, "ec2", inv.describe_stack_instances, ec2, stack, region, states)
        if account_id:
            for record in records:
                record["account_id"] = account_id
        if ssm is None:
            return records, None
        try:
            return records, self._guarded(where, "ssm", inv.describe_ssm_ping, ssm, [record["instance_id"] for record in records])
        except RegionFailure as failure:
            return records, failure

    def _assume_roles(self, pool, accounts):
        """{role ARN: client credentials, or the error AssumeRole gave}, the roles assumed concurrently."""
        jobs = {}
        for account in accounts:
            if account["role_arn"]:
                sts = self._client("sts", account["regions"][0])
                session = account["session_name"] or "hatrading-stack-inventory"
                jobs[account["role_arn"]] = pool.submit(inv.assume_role, sts, account["role_arn"], session, account["external_id"])
        credentials = {}
        for role_arn, future in jobs.items():
            try:
                credentials[role_arn] = future.result()
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
                credentials[role_arn] = error
        return credentials

    def _query(self, stack, accounts, states, include_autoscaling, include_health, include_ssm):
        """{answer key: answer} for the (account, region) pairs that answered, and the RegionFailures of the others."""
        pairs = [(account, region) for account in accounts for region in account["regions"]]
        jobs, outcome, asg_clients = {}, {}, {}
        with ThreadPoolExecutor(max_workers=min(32, max(len(accounts), 3 * len(pairs)))) as pool:
            credentials = self._assume_roles(pool, accounts)
            # Clients are made here, in one thread (the templar is not thread-safe); the calls run concurrently.
            for account, region in pairs:
                key = inv.answer_key(account["account_id"], region)
                assumed = credentials.get(account["role_arn"])
                if isinstance(assumed, Exception):
                    outcome[(key, "ec2")] = RegionFailure(key, "sts", assumed)
                    continue
                ec2 = self._client("ec2", region, assumed)
                ssm = self._client("ssm", region, assumed) if include_ssm else None
                call = self._read_instances
                jobs[(key, "ec2")] = pool.submit(call, key, ec2, ssm, stack, region, states, account["account_id"])
                if include_autoscaling:
                    asg_clients[key] = self._client("autoscaling", region, assumed)
                    call = inv.describe_stack_autoscaling
                    jobs[(key, "autoscaling")] = pool.submit(self._guarded, key, "autoscaling", call, asg_clients[key], stack)
                if include_health:
                    elbv2 = self._client("elbv2", region, assumed)
                    jobs[(key, "elbv2")] = pool.submit(self._guarded, key, "elbv2", inv.describe_stack_health, elbv2, stack)
            for job, future in jobs.items():
                try:
                    outcome[job] = future.result()
                except RegionFailure as failure:
                    outcome[job] = failure

        answers, failures = {}, []
        for account, region in pairs:
            key = inv.answer_key(account["account_id"], region)
            instances = outcome[(key, "ec2")]
            if isinstance(instances, RegionFailure):
                failures.append(instances)
                failures.extend(part for part in (outcome.get((key, "autoscaling")), outcome.get((key, "elbv2"))) if isinstance(part, RegionFailure))
                continue
            records, ssm = instances
            autoscaling = outcome.get((key, "autoscaling"), {})
            health = outcome.get((key, "elbv2"), ({}, []))
            region_failures = [part for part in (autoscaling, health, ssm) if isinstance(part, RegionFailure)]
            if isinstance(autoscaling, dict) and include_autoscaling:
                # Members of Auto Scaling groups that lack the stack tag: DescribeAutoScalingInstances, 50 IDs a call.
                missing = inv.unmatched_asg_members(records, autoscaling)
                if missing:
                    try:
                        autoscaling.update(self._guarded(key, "autoscaling", inv.describe_autoscaling_instances, asg_clients[key], missing))
                    except RegionFailure as failure:
                        region_failures.append(failure)
                        autoscaling = failure
            failures.extend(region_failures)
            if any(not failure.denied for failure in region_failures):
                continue  # a region read in part is not served: it would put hosts in the wrong groups
            answers[key] = {
                "account_id": account["account_id"],
                "region": region,
                "records": records,
                "autoscaling": {} if isinstance(autoscaling, RegionFailure) else autoscaling,
                "health": {} if isinstance(health, RegionFailure) else health[0],
                "target_groups": [] if isinstance(health, RegionFailure) else health[1],
                "ssm": None if isinstance(ssm, RegionFailure) else ssm,
            }
        return answers, failures

    def _judge(self, failures, answers):
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
        problem = inv.cache_entry_problem(entry, fingerprint)
        if problem:
            self.warn("%s: ignoring an inventory cache entry of another query or format (%s); querying AWS" % (self.NAME, problem))
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
        records, autoscaling, health, target_groups, ssm = [], {}, {}, {}, {}
        for answer in entry["regions"].values():
            records.extend(answer["records"])
            autoscaling.update(answer["autoscaling"])
            health.update(answer["health"])
            target_groups.update((group["arn"], group) for group in answer["target_groups"])
            if answer["ssm"] is not None:  # read for this region: its instances join an ssm_* group
                ssm.update((record["instance_id"], answer["ssm"].get(record["instance_id"])) for record in answer["records"])
        strict = self.get_option("strict")
        compose, conditionals, keyed = self.get_option("compose"), self.get_option("groups"), self.get_option("keyed_groups")
        inventory = self.inventory
        known_groups = set()
        everything = self.get_option("all_hostvars")
        for name, all_facts, groups in inv.build_hosts(records, autoscaling, health, target_groups, settings, ssm):
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
        # plain str: option values carry Ansible metadata (origin, trust) that would follow them into every record and the cache
        regions = sorted(set("%s" % region for region in self.get_option("regions") or []))
        accounts_option = self.get_option("accounts")
        if accounts_option:
            try:
                accounts = inv.normalize_accounts(accounts_option, regions)
            except ValueError as error:
                self.fail_aws(to_native(error))
        elif not regions:
            self.fail_aws("option 'regions' must list at least one region (an empty list does not mean every region)")
        else:
            accounts = [{"role_arn": None, "account_id": None, "regions": regions, "external_id": None, "session_name": None}]
        stack = "%s" % stack
        states = self.get_option("instance_states")
        include_autoscaling, include_health = self.get_option("include_autoscaling"), self.get_option("include_health")
        include_ssm = bool(self.get_option("include_ssm")) and self.get_option("connection") == "ssm"
        fingerprint = inv.query_fingerprint(stack, regions, states, include_autoscaling, include_health, accounts if accounts_option else None, include_ssm)

        entry = self._read_cache(path, cache, fingerprint)
        if entry is None:
            answers, failures = self._query(stack, accounts, states, include_autoscaling, include_health, include_ssm)
            self._judge(failures, answers)
            entry = inv.cache_entry(fingerprint, answers)
            if not any(not failure.denied for failure in failures):
                self._write_cache(path, entry)
        self._populate(entry)
