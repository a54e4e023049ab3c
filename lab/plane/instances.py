"""Instances as containers: for each instance moto reports in a stack's Auto Scaling groups, one container.

The container is what the instance's user data would run: the user data of the launch template
version the instance was launched from is read for its `docker run` line (image, -e/--env, -p);
a `hatrading:image` tag on the instance (the compute tier's templates set it), else on its ASG,
names the image. Each container carries the instance id as a label, sits on the
stack's Docker network (aliases: instance id and private DNS name), is labelled with its AZ
(EC2's placement: moto spreads a group over its subnets' AZs, lab/moto_asg_mend.py) and publishes its
port on 127.0.0.1 only. Instances that moto no longer reports lose their container. A container whose
environment names the nosql tier's tables gets the lab's AWS endpoint (lab/plane/aws_relay.py).
"""

import base64
import re
import shlex

import yaml

from . import aws_relay, engine

TAG_STACK = "hatrading:stack"
TAG_TIER = "hatrading:tier"
TAG_IMAGE = "hatrading:image"
LIVE_EC2_STATES = ("pending", "running")
DEFAULT_PORT = 8080
# docker run options that take a value (anything else starting with '-' is a flag)
_VALUE_OPTIONS = {
    "-e", "--env", "-p", "--publish", "--name", "--restart", "-l", "--label", "--log-driver", "--log-opt",
    "--network", "--net", "-v", "--volume", "--env-file", "-u", "--user", "-w", "--workdir", "--entrypoint",
    "--health-cmd", "--health-interval", "--health-retries", "--health-timeout", "--health-start-period",
    "-m", "--memory", "--cpus", "--stop-timeout", "--stop-signal", "-h", "--hostname", "--add-host",
    "--mount", "--ulimit", "--pull", "--platform", "--network-alias", "--dns",
}  # fmt: skip


def tags_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def parse_user_data(text):
    """What the instance would run: {"image", "env", "ports", "args", "env_file"} or None.

    Plain scripts: the first `docker run` line. cloud-init (`#cloud-config`): the scripts in
    write_files are searched the same way, and the `--env-file` the run names, if it is one
    of the written files, supplies the environment.
    """
    if not text:
        return None
    if text.startswith("#cloud-config"):
        try:
            config = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            return None
        files = {f.get("path"): str(f.get("content", "")) for f in config.get("write_files") or [] if isinstance(f, dict)}
        for content in files.values():
            spec = _docker_run(content)
            if spec:
                if spec.get("env_file") in files:
                    spec["env"] = dict(parse_env_file(files[spec["env_file"]]), **spec["env"])
                return spec
        return None
    return _docker_run(text)


def parse_env_file(text):
    """KEY=value lines (docker --env-file rules: no quotes processing, # comments, blank lines skipped)."""
    env = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _sep, value = line.partition("=")
            env[key.strip()] = value
    return env


def _docker_run(text):
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for start in range(len(words) - 1):
            if words[start].endswith("docker") and words[start + 1] == "run":
                return _parse_run(words[start + 2 :])
    return None


def _parse_run(words):
    spec = {"image": None, "env": {}, "ports": [], "args": [], "env_file": None, "health": {}}
    index = 0
    while index < len(words):
        word = words[index]
        if not word.startswith("-") or word == "-":
            spec["image"] = word
            spec["args"] = words[index + 1 :]
            break
        name, eq, inline = word.partition("=")
        if name in _VALUE_OPTIONS:
            value = inline if eq else (words[index + 1] if index + 1 < len(words) else "")
            index += 0 if eq else 1
            if name in ("-e", "--env") and "=" in value:
                key, _sep, val = value.partition("=")
                spec["env"][key] = val
            elif name in ("-p", "--publish"):
                spec["ports"].append(value)
            elif name == "--env-file":
                spec["env_file"] = value
            elif name.startswith("--health-"):
                spec["health"][name] = value
        index += 1
    return spec if spec["image"] else None


def lab_health(health):
    """The user data's --health-* options, with interval and start period clamped to 2 s (the lab reacts in seconds)."""
    flags = dict(health)
    for option in ("--health-interval", "--health-start-period"):
        if option in flags:
            flags[option] = "%ds" % min(_seconds(flags[option]), 2)
    return flags


def _seconds(duration):
    """Docker duration ("10s", "1m", "500ms", "1m30s") -> whole seconds, at least 1."""
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return max(1, int(total))


def container_port(ports, fallback):
    """The container side of the first -p mapping (host:container, ip:host:container or container)."""
    for mapping in ports:
        port = mapping.split("/")[0].rsplit(":", 1)[-1]
        if port.isdigit():
            return int(port)
    return fallback


class ControlPlane:
    """What moto says about a stack: ASGs, their instances, launch templates, target groups, load balancers."""

    def __init__(self, session, stack):
        self.stack = stack
        self.asg = session.client("autoscaling")
        self.ec2 = session.client("ec2")
        self.elbv2 = session.client("elbv2")

    def groups(self):
        pages = self.asg.get_paginator("describe_auto_scaling_groups").paginate()
        return [g for page in pages for g in page["AutoScalingGroups"] if tags_of(g).get(TAG_STACK) == self.stack]

    def live_instances(self, instance_ids):
        """instance id -> EC2 description, only for instances pending or running."""
        if not instance_ids:
            return {}
        found = {}
        pages = self.ec2.get_paginator("describe_instances").paginate(InstanceIds=sorted(instance_ids))
        for page in pages:
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    if instance["State"]["Name"] in LIVE_EC2_STATES:
                        found[instance["InstanceId"]] = instance
        return found

    def user_data(self, group, instance, ec2_instance=None):
        """The user data the instance was launched with: its launch template version's.

        The version is the instance's own EC2 tag aws:ec2launchtemplate:version (set at launch, on
        AWS and in moto); moto's Auto Scaling record reports the template's default version for
        every instance, which after a new version would make old instances look new.
        """
        spec = instance.get("LaunchTemplate") or group.get("LaunchTemplate")
        if not spec and group.get("MixedInstancesPolicy"):
            spec = group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]
        if not spec:
            return ""
        ident = {"LaunchTemplateId": spec["LaunchTemplateId"]} if spec.get("LaunchTemplateId") else {"LaunchTemplateName": spec["LaunchTemplateName"]}
        launched = tags_of(ec2_instance or {}).get("aws:ec2launchtemplate:version")
        version = str(launched or spec.get("Version") or "$Default")
        answer = self.ec2.describe_launch_template_versions(Versions=[version], **ident)
        versions = answer.get("LaunchTemplateVersions", [])
        data = versions[0]["LaunchTemplateData"].get("UserData", "") if versions else ""
        return base64.b64decode(data).decode("utf-8", "replace") if data else ""

    def target_group_port(self, group):
        arns = group.get("TargetGroupARNs") or []
        if not arns:
            return None
        return self.elbv2.describe_target_groups(TargetGroupArns=arns[:1])["TargetGroups"][0]["Port"]

    def internal_backend_url(self):
        """http://<dns>:<port> of the stack's internal load balancer (the front-end's BACKEND_URL), or None."""
        for balancer in self.load_balancers():
            if balancer["Scheme"] == "internal":
                listeners = self.elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
                if listeners:
                    return "http://%s:%d" % (balancer["DNSName"], listeners[0]["Port"])
        return None

    def load_balancers(self):
        balancers = [b for page in self.elbv2.get_paginator("describe_load_balancers").paginate() for b in page["LoadBalancers"]]
        balancers = [b for b in balancers if b.get("Type", "application") == "application"]
        mine = []
        for start in range(0, len(balancers), 20):
            chunk = balancers[start : start + 20]
            described = self.elbv2.describe_tags(ResourceArns=[b["LoadBalancerArn"] for b in chunk])["TagDescriptions"]
            tagged = {d["ResourceArn"]: tags_of(d) for d in described}
            mine += [b for b in chunk if tagged.get(b["LoadBalancerArn"], {}).get(TAG_STACK) == self.stack]
        return mine


def container_name(stack, instance_id):
    return "hatrading-%s-%s" % (stack, instance_id)


def desired_containers(plane, database_url=None):
    """instance id -> container spec, from what the control plane reports now."""
    desired = {}
    backend_url = None
    for group in plane.groups():
        tags = tags_of(group)
        # The compute tier tags its groups tier=compute and component=frontend|backend.
        tier = tags.get("hatrading:component") or tags.get(TAG_TIER, "app")
        members = [
            i for i in group.get("Instances", []) if i.get("LifecycleState") not in ("Terminating", "Terminated", "Terminating:Wait", "Terminating:Proceed")
        ]
        live = plane.live_instances({i["InstanceId"] for i in members})
        tg_port = None
        for member in members:
            instance = live.get(member["InstanceId"])
            if instance is None:
                continue
            run = parse_user_data(plane.user_data(group, member, instance)) or {"image": None, "env": {}, "ports": [], "health": {}}
            # the instance's own tag (the compute tier's templates set it at launch), else the group's, else the user data's
            image = tags_of(instance).get(TAG_IMAGE) or tags.get(TAG_IMAGE) or run["image"]
            if not image:
                raise engine.LabError(
                    "ASG %s: no image (tag %s or a `docker run` line in the launch template user data)" % (group["AutoScalingGroupName"], TAG_IMAGE)
                )
            if tg_port is None:
                tg_port = plane.target_group_port(group) or DEFAULT_PORT
            port = container_port(run["ports"], tg_port)
            env = {"PORT": str(port)}
            env.update(run["env"])
            env["INSTANCE_ID"] = member["InstanceId"]
            if tier == "backend" and database_url and "DATABASE_URL" not in env:
                env["DATABASE_URL"] = database_url
            if tier == "frontend" and "BACKEND_URL" not in env:
                backend_url = backend_url or plane.internal_backend_url()
                if backend_url:
                    env["BACKEND_URL"] = backend_url
            desired[member["InstanceId"]] = {
                "name": container_name(plane.stack, member["InstanceId"]),
                "instance_id": member["InstanceId"],
                "asg": group["AutoScalingGroupName"],
                "tier": tier,
                "az": (instance.get("Placement") or {}).get("AvailabilityZone"),
                "image": image,
                "port": port,
                "env": env,
                "aliases": [member["InstanceId"]] + ([instance["PrivateDnsName"]] if instance.get("PrivateDnsName") else []),
                "health": lab_health(run.get("health") or {}),
            }
    return desired


def actual_containers(stack):
    """instance id -> inspected container, for the stack's instance containers."""
    found = {}
    for container in engine.stack_containers(stack, ["label=hatrading.instance-id"]):
        found[container["Config"]["Labels"]["hatrading.instance-id"]] = container
    return found


def plan(desired, actual):
    """Which instance containers to create and to remove (pure)."""
    create, remove = [], []
    for instance_id, spec in sorted(desired.items()):
        current = actual.get(instance_id)
        if current is None:
            create.append(instance_id)
        elif not current["State"]["Running"] or current["Config"]["Labels"].get("hatrading.spec") != engine.digest(spec):
            remove.append(instance_id)
            create.append(instance_id)
    remove += sorted(set(actual) - set(desired))
    return {"create": create, "remove": remove}


def run_container(stack, spec):
    labels = {
        "hatrading.stack": stack,
        "hatrading.instance-id": spec["instance_id"],
        "hatrading.asg": spec["asg"],
        "hatrading.tier": spec["tier"],
        "hatrading.az": spec.get("az") or "",
        "hatrading.spec": engine.digest(spec),
    }
    argv = ["run", "-d", "--init", "--name", spec["name"], "--network", engine.network_name(stack)]
    for alias in spec["aliases"]:
        argv += ["--network-alias", alias]
    for key, value in labels.items():
        argv += ["--label", "%s=%s" % (key, value)]
    argv += ["-p", "127.0.0.1::%d" % spec["port"]]
    for option, value in sorted(spec.get("health", {}).items()):
        argv.append("%s=%s" % (option, value))
    env_lines = "".join("%s=%s\n" % item for item in sorted(spec["env"].items()))
    env_file = engine.stack_dir(stack) / (".env-%s" % spec["instance_id"])
    env_file.touch(mode=0o600)
    env_file.write_text(env_lines)  # secrets (DATABASE_URL) go by file, never on a command line
    argv += ["--env-file", str(env_file), spec["image"]]
    try:
        engine.docker(*argv, timeout=300)
    finally:
        env_file.unlink(missing_ok=True)


def reconcile(session, stack, database_url=None, keep=()):
    """Make the stack's instance containers match moto; returns what was done and what runs.

    `keep`: instance ids still serving as (draining) load balancer servers. Their containers
    stay until the drain is over, as an ASG waits for the deregistration delay before it
    terminates an instance (moto terminates at once).
    """
    plane = ControlPlane(session, stack)
    engine.ensure_network(stack)
    desired = desired_containers(plane, database_url)
    calling_aws = [spec for spec in desired.values() if any(key in spec["env"] for key in aws_relay.USES_AWS)]
    endpoint = aws_relay.ensure(session, stack) if calling_aws else None
    for spec in calling_aws if endpoint else ():
        spec["env"].update(aws_relay.container_env(endpoint))
    actual = actual_containers(stack)
    todo = plan(desired, actual)
    todo["remove"] = [i for i in todo["remove"] if i in desired or i not in keep]
    if todo["remove"]:
        names = [actual[i]["Name"].lstrip("/") for i in todo["remove"]]
        engine.docker("stop", "-t", "10", *names, check=False, timeout=120)
        engine.docker("rm", "-f", *names)
    for instance_id in todo["create"]:
        run_container(stack, desired[instance_id])
    return {"created": todo["create"], "removed": todo["remove"], "instances": sorted(desired)}


def instance_report(stack):
    """One row per instance container: instance id, tier, ASG, AZ, container, state, health, image, 127.0.0.1 URL."""
    rows = []
    for instance_id, container in sorted(actual_containers(stack).items()):
        labels = container["Config"]["Labels"]
        state = container["State"]
        url = None
        for bindings in (container["NetworkSettings"].get("Ports") or {}).values():
            for binding in bindings or []:
                url = "http://127.0.0.1:%s" % binding["HostPort"]
        rows.append(
            {
                "instance_id": instance_id,
                "tier": labels.get("hatrading.tier"),
                "asg": labels.get("hatrading.asg"),
                "az": labels.get("hatrading.az") or None,
                "container": container["Name"].lstrip("/"),
                "state": state["Status"],
                "health": (state.get("Health") or {}).get("Status", "none"),
                "image": container["Config"]["Image"],
                "version": labels.get("org.opencontainers.image.version"),
                "url": url,
            }
        )
    return rows
