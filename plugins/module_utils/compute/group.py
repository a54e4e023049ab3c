# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One app tier's Auto Scaling group, warm pool and target-tracking policies: model, read, apply.

The group spans the tier's subnets, launches the tier's template version and registers its
instances with the tier's target group; a new template version reaches running instances
through an instance refresh.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import create_or_adopt
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.compute.balancer import resource_label
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags

CPU_METRIC = "ASGAverageCPUUtilization"
REQUESTS_METRIC = "ALBRequestCountPerTarget"
METRICS_GRANULARITY = "1Minute"  # the only granularity Auto Scaling offers
GROUP_METRICS = tuple(
    sorted(
        (
            "GroupDesiredCapacity",
            "GroupInServiceInstances",
            "GroupMaxSize",
            "GroupMinSize",
            "GroupPendingInstances",
            "GroupStandbyInstances",
            "GroupTerminatingInstances",
            "GroupTotalInstances",
        )
    )
)
PENDING = "(created by this run)"

# ---------------------------------------------------------------- model


def instances_distribution(spot_share, base=1):
    """Mixed instances for cost: ``base`` on-demand instances, then ``spot_share`` percent spot above them."""
    return {
        "OnDemandBaseCapacity": base,
        "OnDemandPercentageAboveBaseCapacity": 100 - int(spot_share),
        "SpotAllocationStrategy": "price-capacity-optimized",
    }


def desired_group(spec, template, subnet_ids, target_group_names):
    """The group as compared; ``template`` is {name, id, version}. Desired capacity counts only at creation."""
    spot = int(spec.get("spot_share") or 0)
    want = {
        "launch_template": template["name"],
        "launch_template_version": str(template["version"]),
        "min_size": int(spec["min_size"]),
        "max_size": int(spec["max_size"]),
        "desired_capacity": int(spec["desired_capacity"]),
        "subnets": sorted(subnet_ids),
        "health_check_type": "ELB",
        "health_check_grace_period": int(spec.get("health_check_grace_period") or 120),
        "target_groups": sorted(target_group_names),
        "instance_types": sorted(set([spec["instance_type"]] + list(spec.get("spot_instance_types") or []))) if spot else None,
        "instances_distribution": instances_distribution(spot) if spot else None,
        # the group metrics each minute: the monitoring tier's dashboard charts GroupInServiceInstances
        "metrics": list(GROUP_METRICS),
        "tags": spec["tags"],
    }
    return want


def actual_group(group, group_names):
    """describe_auto_scaling_groups' record -> the desired shape; ``group_names`` maps target group ARNs to names."""
    if not group:
        return None
    mixed = group.get("MixedInstancesPolicy")
    if mixed:
        spec = mixed["LaunchTemplate"]["LaunchTemplateSpecification"]
        types = sorted(o["InstanceType"] for o in mixed["LaunchTemplate"].get("Overrides") or [] if o.get("InstanceType"))
        dist = mixed.get("InstancesDistribution") or {}
        distribution = dict((k, dist.get(k)) for k in ("OnDemandBaseCapacity", "OnDemandPercentageAboveBaseCapacity", "SpotAllocationStrategy"))
    else:
        spec = group.get("LaunchTemplate") or {}
        types, distribution = None, None
    return {
        "launch_template": spec.get("LaunchTemplateName"),
        "launch_template_version": str(spec.get("Version")),
        "min_size": group["MinSize"],
        "max_size": group["MaxSize"],
        "desired_capacity": group["DesiredCapacity"],
        "subnets": sorted(s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s),
        "health_check_type": group.get("HealthCheckType"),
        "health_check_grace_period": group.get("HealthCheckGracePeriod"),
        "target_groups": sorted(group_names.get(arn, arn) for arn in group.get("TargetGroupARNs") or []),
        "instance_types": types,
        "instances_distribution": distribution,
        "tags": dict((t["Key"], t.get("Value", "")) for t in group.get("Tags") or []),
        "instances": len(group.get("Instances") or []),
        "status": group.get("Status"),
        # ours among the enabled ones: metrics someone else enabled are left alone
        "metrics": sorted(set(m["Metric"] for m in group.get("EnabledMetrics") or []) & set(GROUP_METRICS)),
    }


GROUP_FIELDS = (
    "launch_template",
    "launch_template_version",
    "min_size",
    "max_size",
    "subnets",
    "health_check_type",
    "health_check_grace_period",
    "instance_types",
    "instances_distribution",
    "metrics",
)


def plan_group(name, want, have):
    """Create, or update what differs. Desired capacity belongs to the scaling policies once the group runs:
    it is changed only when it falls outside the new min..max. Target groups are only ever attached."""
    if have is None:
        return [Change(CREATE, "auto_scaling_group", name, after=want)]
    fields = [f for f in GROUP_FIELDS if want.get(f) != have.get(f)]
    if not have["min_size"] <= have["desired_capacity"] <= have["max_size"] or not want["min_size"] <= have["desired_capacity"] <= want["max_size"]:
        fields.append("desired_capacity")
    missing_groups = sorted(set(want["target_groups"]) - set(have["target_groups"]))
    if missing_groups:
        fields.append("target_groups")
    if missing_tags(want["tags"], have["tags"]):
        fields.append("tags")
    if not fields:
        return []
    after = dict((f, want.get(f)) for f in fields)
    if "desired_capacity" in fields:
        after["desired_capacity"] = min(max(have["desired_capacity"], want["min_size"]), want["max_size"])
    if "target_groups" in fields:
        after["target_groups"] = missing_groups
    before = dict((f, have.get(f)) for f in fields)
    return [Change(UPDATE, "auto_scaling_group", name, before=before, after=after, fields=sorted(fields), ref=have)]


def desired_warm_pool(pool):
    """The warm pool as compared; None (no pool) for an empty mapping. ``max_prepared_capacity`` None or -1 means the group's max_size."""
    if not pool or all(value is None for value in pool.values()):
        return None
    high = pool.get("max_prepared_capacity")
    return {
        "min_size": int(pool.get("min_size") or 0),
        "max_prepared_capacity": -1 if high is None else int(high),
        "pool_state": pool.get("pool_state") or "Stopped",
        "reuse_on_scale_in": bool(pool.get("reuse_on_scale_in")),
    }


def actual_warm_pool(group):
    """The warm pool from describe_auto_scaling_groups' record (no extra read), or None."""
    config = (group or {}).get("WarmPoolConfiguration")
    if not config:
        return None
    return {
        "min_size": int(config.get("MinSize") or 0),
        "max_prepared_capacity": -1 if config.get("MaxGroupPreparedCapacity") is None else int(config["MaxGroupPreparedCapacity"]),
        "pool_state": config.get("PoolState") or "Stopped",
        "reuse_on_scale_in": bool((config.get("InstanceReusePolicy") or {}).get("ReuseOnScaleIn")),
    }


def plan_warm_pool(group_name, want, have):
    """Put the pool when it is missing or differs; delete it only when none is wanted and one exists."""
    if want == have:
        return []
    if want is None:
        return [Change(DELETE, "warm_pool", group_name, before=have, ref=group_name)]
    if have is None:
        return [Change(CREATE, "warm_pool", group_name, after=want, ref=group_name)]
    fields = sorted(f for f in want if want[f] != have.get(f))
    return [Change(UPDATE, "warm_pool", group_name, before=have, after=want, fields=fields, ref=group_name)]


def desired_policies(spec, n, label):
    """Target tracking on CPU, and on ALB requests per target when ``requests_per_target`` is set."""
    warmup = int(spec.get("instance_warmup") or spec.get("health_check_grace_period") or 120)
    want = {n["cpu_policy"]: {"metric": CPU_METRIC, "label": None, "target": float(spec.get("cpu_target") or 50), "warmup": warmup}}
    if spec.get("requests_per_target"):
        want[n["requests_policy"]] = {"metric": REQUESTS_METRIC, "label": label, "target": float(spec["requests_per_target"]), "warmup": warmup}
    return want


def actual_policies(policies):
    have = {}
    for policy in policies or []:
        config = policy.get("TargetTrackingConfiguration") or {}
        metric = config.get("PredefinedMetricSpecification") or {}
        have[policy["PolicyName"]] = {
            "metric": metric.get("PredefinedMetricType"),
            "label": metric.get("ResourceLabel"),
            "target": float(config["TargetValue"]) if "TargetValue" in config else None,
            "warmup": policy.get("EstimatedInstanceWarmup"),
        }
    return have


def plan_policies(group_name, want, have, prefix):
    """Put the wanted policies that differ; delete only policies of ours (named ``prefix``...) no longer wanted."""
    changes = []
    for name, spec in want.items():
        if have.get(name) != spec:
            action = CREATE if name not in have else UPDATE
            fields = None if action == CREATE else [f for f in spec if spec[f] != have[name].get(f)]
            changes.append(Change(action, "scaling_policy", name, before=have.get(name), after=spec, fields=fields, ref=group_name))
    for name in sorted(have):
        if name not in want and name.startswith(prefix):
            changes.append(Change(DELETE, "scaling_policy", name, before=have[name], ref=group_name))
    return changes


def refresh_preferences(spec):
    """How a new template version reaches running instances: rolling, keeping capacity, skipping matching ones."""
    return {
        "MinHealthyPercentage": int(spec.get("refresh_min_healthy_percentage") if spec.get("refresh_min_healthy_percentage") is not None else 90),
        "InstanceWarmup": int(spec.get("instance_warmup") or spec.get("health_check_grace_period") or 120),
        "SkipMatching": True,
        "AutoRollback": False,
    }


def group_tags(tags):
    return [{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in sorted(tags.items())]


def refs_of(have, n):
    """What the group's calls name: the template, the target group (ARN) and the request-count label."""
    template = have["template"] or {"LaunchTemplateId": PENDING, "LatestVersionNumber": PENDING}
    target_group = have["target_group"] or {"TargetGroupArn": PENDING}
    return {
        "template_id": template["LaunchTemplateId"],
        "template_version": str(template["LatestVersionNumber"]),
        "template_latest": template["LatestVersionNumber"],
        "target_groups": {n["target_group"]: target_group["TargetGroupArn"]},
        "resource_label": resource_label(have["load_balancer"], target_group["TargetGroupArn"]) if have["load_balancer"] else None,
    }


def plan_present(params, n, have, refs):
    stack, tier = params["stack"], params["tier"]
    group_names = dict((arn, name) for name, arn in refs["target_groups"].items())
    want = desired_group(
        dict(params, tags=model.tier_tags(stack, tier, n["auto_scaling_group"], params["tags"])),
        {"name": n["launch_template"], "version": refs["template_latest"]},
        have["subnets"] or [PENDING],
        [n["target_group"]],
    )
    refs["want"] = want
    plan = Plan(plan_group(n["auto_scaling_group"], want, actual_group(have["group"], group_names)))
    plan.extend(plan_warm_pool(n["auto_scaling_group"], desired_warm_pool(params.get("warm_pool")), actual_warm_pool(have["group"])))
    spec = dict(params)
    if not refs["resource_label"]:
        spec["requests_per_target"] = 0  # no ALB in front (yet): CPU only
    want_policies = desired_policies(spec, n, refs["resource_label"])
    plan.extend(plan_policies(n["auto_scaling_group"], want_policies, actual_policies(have["policies"]), n["auto_scaling_group"] + "-"))
    return plan


# ---------------------------------------------------------------- read


def read(clients, view, params, n, present):
    found = {"group": view.app_resource("auto_scaling_group", n["auto_scaling_group"])}
    found["policies"] = clients.autoscaling.describe_policies(AutoScalingGroupName=n["auto_scaling_group"]) if found["group"] else []
    if not present:
        return found
    found["subnets"] = view.subnet_ids(params["subnet_layer"])
    found["template"] = view.app_resource("launch_template", n["launch_template"])
    found["target_group"] = view.app_resource("target_group", n["target_group"])
    found["load_balancer"] = None
    if params["requests_per_target"] and found["target_group"] and found["target_group"].get("LoadBalancerArns"):
        found["load_balancer"] = found["target_group"]["LoadBalancerArns"][0]
    return found


# ---------------------------------------------------------------- apply

# group fields -> the update_auto_scaling_group parameters that set them
UPDATE_PARAMETERS = {
    "min_size": "MinSize",
    "max_size": "MaxSize",
    "desired_capacity": "DesiredCapacity",
    "health_check_type": "HealthCheckType",
    "health_check_grace_period": "HealthCheckGracePeriod",
}


class GroupApplier(Applier):
    def __init__(self, clients, params, refs, have_group):
        self.client = clients.autoscaling
        self.params = params
        self.refs = refs
        self.group = have_group
        self.refresh_id = None
        self.warnings = []

    def _template(self, want):
        spec = {"LaunchTemplateId": self.refs["template_id"], "Version": want["launch_template_version"]}
        if not want.get("instances_distribution"):
            return {"LaunchTemplate": spec}
        types = [self.params["instance_type"]] + [t for t in want["instance_types"] if t != self.params["instance_type"]]
        return {
            "MixedInstancesPolicy": {
                "LaunchTemplate": {"LaunchTemplateSpecification": spec, "Overrides": [{"InstanceType": t} for t in types]},
                "InstancesDistribution": want["instances_distribution"],
            }
        }

    def create_auto_scaling_group(self, change):
        want = change.after
        made = create_or_adopt(
            self.client.create_auto_scaling_group,
            AutoScalingGroupName=change.name,
            MinSize=want["min_size"],
            MaxSize=want["max_size"],
            DesiredCapacity=want["desired_capacity"],
            VPCZoneIdentifier=",".join(want["subnets"]),
            HealthCheckType=want["health_check_type"],
            HealthCheckGracePeriod=want["health_check_grace_period"],
            TargetGroupARNs=[self.refs["target_groups"][name] for name in want["target_groups"]],
            Tags=group_tags(want["tags"]),
            CapacityRebalance=bool(want.get("instances_distribution")),
            **self._template(want),
        )
        if made is None:  # the group exists (a create whose answer was lost, retried): adopted
            self._adopt(change.name, want)
        else:
            self._collect_metrics(change.name)
            self.group = dict(want)
        if self.params["wait"]:
            self.client.wait("GroupInService", self.params["wait_timeout"], AutoScalingGroupNames=[change.name])

    def update_auto_scaling_group(self, change):
        want, fields = change.after, set(change.fields)
        params = {}
        if fields & {"launch_template", "launch_template_version", "instance_types", "instances_distribution"}:
            params.update(self._template(self.refs["want"]))
        params.update((key, want[field]) for field, key in UPDATE_PARAMETERS.items() if field in fields)
        if "subnets" in fields:
            params["VPCZoneIdentifier"] = ",".join(want["subnets"])
        if params:
            self.client.update_auto_scaling_group(AutoScalingGroupName=change.name, **params)
        if "metrics" in fields:
            self._collect_metrics(change.name)
        if "target_groups" in fields:
            arns = [self.refs["target_groups"][name] for name in want["target_groups"]]
            self.client.attach_load_balancer_target_groups(AutoScalingGroupName=change.name, TargetGroupARNs=arns)
        if "tags" in fields:
            tags = missing_tags(self.refs["want"]["tags"], change.ref["tags"])
            self.client.create_or_update_tags(Tags=[dict(tag, ResourceId=change.name, ResourceType="auto-scaling-group") for tag in group_tags(tags)])
        self.group = dict(change.ref, **want)
        if "launch_template_version" in fields and self.params["instance_refresh"] and change.ref.get("instances"):
            self.refresh_id, warning = self.client.start_rolling_refresh(change.name, refresh_preferences(self.params))
            if warning:
                self.warnings.append(warning)

    def _adopt(self, name, want):
        """The group exists (a retried create whose first answer was lost, or another run): read it and update what differs."""
        group_names = dict((arn, tg) for tg, arn in self.refs["target_groups"].items())
        have = actual_group(self.client.group_named(name), group_names)
        self.warnings.append("Auto Scaling group %s already existed when this run created it (a create whose answer was lost, retried): adopted" % name)
        for update in plan_group(name, want, have):
            self.update_auto_scaling_group(update)
        self.group = dict(have, **want)

    def _collect_metrics(self, name):
        # never disabled by a rerun (moto lacks DisableMetricsCollection; collecting costs nothing)
        self.client.enable_metrics_collection(AutoScalingGroupName=name, Metrics=list(GROUP_METRICS), Granularity=METRICS_GRANULARITY)

    def delete_auto_scaling_group(self, change):
        self.client.delete_auto_scaling_group(AutoScalingGroupName=change.name, ForceDelete=True)
        self.client.wait("GroupDeleted", self.params["wait_timeout"], AutoScalingGroupNames=[change.name])
        self.group = None

    def create_scaling_policy(self, change):
        spec = change.after
        metric = {"PredefinedMetricType": spec["metric"]}
        if spec["label"]:
            metric["ResourceLabel"] = self.refs["resource_label"]
        self.client.put_scaling_policy(
            AutoScalingGroupName=change.ref,
            PolicyName=change.name,
            PolicyType="TargetTrackingScaling",
            EstimatedInstanceWarmup=spec["warmup"],
            TargetTrackingConfiguration={"PredefinedMetricSpecification": metric, "TargetValue": spec["target"]},
        )

    update_scaling_policy = create_scaling_policy  # put_scaling_policy creates or replaces

    def create_warm_pool(self, change):
        want = change.after
        params = dict(MinSize=want["min_size"], PoolState=want["pool_state"], InstanceReusePolicy={"ReuseOnScaleIn": want["reuse_on_scale_in"]})
        params["MaxGroupPreparedCapacity"] = want["max_prepared_capacity"]
        self.client.put_warm_pool(AutoScalingGroupName=change.ref, **params)

    update_warm_pool = create_warm_pool  # put_warm_pool creates or replaces

    def delete_warm_pool(self, change):
        # ForceDelete: the pool's instances go without waiting for their lifecycle actions
        self.client.delete_warm_pool(AutoScalingGroupName=change.ref, ForceDelete=True)

    def delete_scaling_policy(self, change):
        self.client.delete_policy(AutoScalingGroupName=change.ref, PolicyName=change.name)


def reconcile(clients, view, params, run):
    """Plan and (unless check mode) apply one tier's group, warm pool and policies; returns (plan, result fields, warnings).

    Raises ComputeError when the subnets, the launch template or the target group are missing.
    """
    stack = params["stack"]
    present = params["state"] == "present"
    n = names.compute(stack, params["tier"])
    refs = {}
    have = read(clients, view, params, n, present)
    if present:
        needed = (
            ("the %s subnets" % params["subnet_layer"], have["subnets"]),
            ("launch template " + n["launch_template"], have["template"]),
            ("target group " + n["target_group"], have["target_group"]),
        )
        missing = [what for what, ok in needed if not ok]
        if missing and not run.check_mode:
            raise model.ComputeError(
                "%s of stack %s not found; run the network tier, compute_launch_template and compute_load_balancer first" % (", ".join(missing), stack)
            )
        refs = refs_of(have, n)
        plan = plan_present(params, n, have, refs)
    else:
        plan = Plan()
        if have["group"]:
            plan.extend([Change(DELETE, "auto_scaling_group", n["auto_scaling_group"], before=actual_group(have["group"], {}))])
    applier = GroupApplier(clients, params, refs, have["group"])
    plan.apply(applier.handlers(), check_mode=run.check_mode)
    return plan, result(params, n, refs, have, applier, run.check_mode), applier.warnings


def result(params, n, refs, have, applier, check_mode):
    found = dict(auto_scaling_group={})
    if params["state"] == "present":
        version = refs["template_version"]
        if check_mode:  # what the group runs now
            version = str((actual_group(have["group"], {}) or {}).get("launch_template_version") or version)
        found["auto_scaling_group"] = dict(name=n["auto_scaling_group"], launch_template_version=version)
        found["refresh_preferences"] = refresh_preferences(params)
        if params.get("warm_pool"):
            found["warm_pool"] = desired_warm_pool(params["warm_pool"])
    if applier.refresh_id:
        found["instance_refresh_id"] = applier.refresh_id
    return found
