# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two app images as Kubernetes objects, made from the same variables as the Auto Scaling tier: ports,
health paths and replica range. Pure: plain dicts, checked in the tests against the Kubernetes OpenAPI schemas.

Per app tier: a ServiceAccount bound to its IAM role (IRSA), a Deployment spread over the zones with the same
health path for its probes, a PodDisruptionBudget, a HorizontalPodAutoscaler and a Service; one Ingress puts the
front-end behind an internet-facing ALB made by the AWS Load Balancer Controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core.nosql_access import nosql_environment
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS
from ansible_collections.hatrading.aws.plugins.module_utils.eks.model import PORTS
from ansible_collections.hatrading.aws.plugins.module_utils.eks.model import backend_nosql

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
RESOURCES = {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}


def _labels(stack, tier):
    return {"app.kubernetes.io/name": tier, "app.kubernetes.io/part-of": "hatrading", "hatrading/stack": stack}


def _meta(name, namespace, labels, annotations=None):
    meta = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    return meta


def _probe(path, port, period, failures):
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": period, "timeoutSeconds": 5, "failureThreshold": failures}


def deployment(app, namespace, labels):
    """Spread over the zones (and hosts), probed on the tier's health path; rolls one pod at a time."""
    selector = {"matchLabels": {"app.kubernetes.io/name": app["tier"]}}
    container = {
        "name": app["tier"],
        "image": app["image"],
        "ports": [{"name": "http", "containerPort": app["port"]}],
        "env": [{"name": key, "value": str(value)} for key, value in sorted(app["env"].items())],
        "readinessProbe": _probe(app["health_path"], "http", 10, 2),
        "livenessProbe": _probe(app["health_path"], "http", 20, 3),
        "startupProbe": _probe(app["health_path"], "http", 5, 24),
        "resources": RESOURCES,
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
    }
    spread = [
        {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": rule, "labelSelector": selector}
        for key, rule in (("topology.kubernetes.io/zone", "DoNotSchedule"), ("kubernetes.io/hostname", "ScheduleAnyway"))
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(app["tier"], namespace, labels),
        "spec": {
            "replicas": app["min_replicas"],
            "selector": selector,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": app["tier"],
                    "topologySpreadConstraints": spread,
                    "terminationGracePeriodSeconds": 30,
                    "containers": [container],
                },
            },
        },
    }


def app_objects(app, stack, namespace, cpu_target):
    labels = _labels(stack, app["tier"])
    selector = {"matchLabels": {"app.kubernetes.io/name": app["tier"]}}
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(app["tier"], namespace, labels, {ROLE_ARN_ANNOTATION: app["role_arn"]})}
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(app["tier"], namespace, labels),
        "spec": {"maxUnavailable": 1, "selector": selector},
    }
    scaler = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(app["tier"], namespace, labels),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app["tier"]},
            "minReplicas": app["min_replicas"],
            "maxReplicas": app["max_replicas"],
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu_target}}}],
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(app["tier"], namespace, labels),
        "spec": {"type": "ClusterIP", "selector": selector["matchLabels"], "ports": [{"name": "http", "port": app["port"], "targetPort": "http"}]},
    }
    return [account, deployment(app, namespace, labels), budget, scaler, service]


def ingress(stack, namespace, frontend, public_subnets):
    """The AWS Load Balancer Controller makes an internet-facing ALB sending to the front-end pods (target type ip)."""
    annotations = {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/healthcheck-path": frontend["health_path"],
        "alb.ingress.kubernetes.io/tags": "hatrading:stack=%s,hatrading:tier=eks" % stack,
    }
    if public_subnets:
        annotations["alb.ingress.kubernetes.io/subnets"] = ",".join(public_subnets)
    backend = {"service": {"name": "frontend", "port": {"name": "http"}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _meta("frontend", namespace, _labels(stack, "frontend"), annotations),
        "spec": {
            "ingressClassName": "alb",
            "rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}],
        },
    }


def target_group_binding(stack, namespace, target_group_arn, port, load_balancer_groups=()):
    """The front-end Service bound to the migration's target group: the AWS Load Balancer Controller registers the
    pods' IPs in it, and (``networking``) lets the public ALB's security groups reach them on ``port``.

    By ARN: binding by ``targetGroupName`` is not in every controller (EKS Auto Mode) and has failed to reconcile
    pod rollouts (kubernetes-sigs/aws-load-balancer-controller#4297, #4438).
    """
    spec = {
        "serviceRef": {"name": "frontend", "port": port},
        "targetGroupARN": target_group_arn,
        "targetType": "ip",
    }
    if load_balancer_groups:
        peers = [{"securityGroup": {"groupID": group}} for group in load_balancer_groups]
        spec["networking"] = {"ingress": [{"from": peers, "ports": [{"port": port, "protocol": "TCP"}]}]}
    return {
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": "TargetGroupBinding",
        "metadata": _meta("frontend", namespace, _labels(stack, "frontend")),
        "spec": spec,
    }


def app_settings(cfg, images, role_arns):
    """{tier: what its objects need}, from the tier's settings (the same ports and health paths as the compute tier)."""
    namespace = cfg.get("namespace", "hatrading")
    apps = {}
    for tier in APP_TIERS:
        env = {"PORT": cfg.get("%s_port" % tier, PORTS[tier])}
        if tier == "frontend":
            env["BACKEND_URL"] = "http://backend.%s.svc.cluster.local:%s" % (namespace, cfg.get("backend_port", PORTS["backend"]))
        else:
            env.update(nosql_environment(backend_nosql(cfg)))  # the tables' names, as the compute tier's back-end gets them
        apps[tier] = {
            "tier": tier,
            "image": images[tier],
            "port": cfg.get("%s_port" % tier, PORTS[tier]),
            "health_path": cfg.get("%s_health_path" % tier, "/health"),
            "min_replicas": cfg.get("%s_min_replicas" % tier, 2),
            "max_replicas": cfg.get("%s_max_replicas" % tier, 4),
            "role_arn": role_arns[tier],
            "env": env,
        }
    return apps


def manifests(cfg, images, role_arns, public_subnets):
    """Every object, in the order kubectl applies them: the namespace first."""
    stack, namespace = cfg["stack"], cfg.get("namespace", "hatrading")
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": {"hatrading/stack": stack}}}]
    apps = app_settings(cfg, images, role_arns)
    for tier in reversed(APP_TIERS):  # the back-end first: the front-end calls it
        objects += app_objects(apps[tier], stack, namespace, cfg.get("cpu_target_percent", 60))
    return objects + [ingress(stack, namespace, apps["frontend"], public_subnets)]
