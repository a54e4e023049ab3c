"""core/: the tier registry, the names, the shared value checks, the stack view."""

from pathlib import Path

import boto3
import yaml
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils import validators
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core import checks
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core import registry
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView

REPO = Path(__file__).resolve().parents[3]


def roles_of(play):
    return [entry["role"].split(".")[-1] for entry in play.get("roles", [])]


def imported_roles_of(play):
    """The roles a play imports whole, in order (their main entry point; a tasks_from=wait is a later step)."""
    imports = [task["ansible.builtin.import_role"] for task in play.get("tasks", []) if "ansible.builtin.import_role" in task]
    return [entry["name"].split(".")[-1] for entry in imports if "tasks_from" not in entry]


def test_site_and_teardown_follow_the_registry():
    site = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())
    deploy = [play for play in site if play.get("name") == "Deploy the stack"]
    assert imported_roles_of(deploy[0]) == registry.deploy_order()
    # every tier is tagged with its name, so --tags <tier> runs it alone
    tagged = [task["tags"] for task in deploy[0]["tasks"] if "ansible.builtin.import_role" in task and "tasks_from" not in task["ansible.builtin.import_role"]]
    assert tagged == [[tier] for tier in registry.deploy_order()]
    validated = [task["ansible.builtin.include_role"]["name"].split(".")[-1] for task in site[0]["tasks"] if "ansible.builtin.include_role" in task]
    assert validated == registry.deploy_order()
    teardown = yaml.safe_load((REPO / "playbooks" / "teardown.yml").read_text())
    assert roles_of([play for play in teardown if play.get("roles")][0]) == registry.teardown_order()


def test_site_checks_each_tier_once():
    # the first play checks every tier (types from each role's spec, values, the tiers together): the deploy play's
    # roles skip their own validate step and ansible-core's spec check, and a role run alone still runs both
    site = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())
    deploy = [play for play in site if play.get("name") == "Deploy the stack"][0]
    assert deploy["vars"]["__hatrading_checked_by_playbook"] is True
    imports = [task["ansible.builtin.import_role"] for task in deploy["tasks"] if "ansible.builtin.import_role" in task]
    assert imports and all(entry.get("rolespec_validate") is False for entry in imports)
    for tier in registry.NAMES:
        main = yaml.safe_load((REPO / "roles" / tier / "tasks" / "main.yml").read_text())
        validate = [task for task in main if task.get("ansible.builtin.import_tasks") == "validate.yml"]
        assert [task["when"] for task in validate] == ["not (__hatrading_checked_by_playbook | default(false) | bool)"], tier


def test_every_tier_role_checks_its_own_variables_first():
    # ansible-core's own argument check dumps the whole spec under a line naming no variable: settings_check runs first
    for tier in registry.NAMES:
        meta = yaml.safe_load((REPO / "roles" / tier / "meta" / "main.yml").read_text())
        assert {"role": "hatrading.aws.settings_check", "settings_check_tier": tier} in (meta.get("dependencies") or []), tier


def test_settings_check_accepts_exactly_the_registrys_tiers():
    spec = yaml.safe_load((REPO / "roles" / "settings_check" / "meta" / "argument_specs.yml").read_text())
    assert spec["argument_specs"]["main"]["options"]["settings_check_tier"]["choices"] == list(registry.NAMES)


def test_every_tier_role_takes_and_hands_on_the_runs_reads():
    # a role that drops hatrading_read_cache makes every later tier read AWS again (site.yml's rerun budget)
    for tier in registry.NAMES:
        tasks = (REPO / "roles" / tier / "tasks" / "present.yml").read_text()
        assert 'read_cache: "{{ hatrading_read_cache | default(omit) }}"' in tasks, tier
        assert 'hatrading_read_cache: "{{ __%s_result.read_cache }}"' % tier in tasks, tier


def test_every_tier_reads_only_tiers_deployed_before_it():
    for index, tier in enumerate(registry.TIERS):
        assert set(tier.reads) <= set(registry.NAMES[:index]), tier.name


def test_names_agree_across_tiers():
    assert names.cdn("demo", "us-east-1")["load_balancer"] == names.compute("demo", "frontend")["load_balancer"] == "demo-alb-pub"
    assert names.monitoring("demo")["target_group"] == {"frontend": "demo-tg-fe", "backend": "demo-tg-be"}
    assert names.pipeline("demo", "us-east-1")["bucket"] == names.pipeline_bucket("demo", "us-east-1") == "hatrading-demo-pipeline-us-east-1"
    assert names.monitoring("demo")["database"] == names.database("demo")["instance"]


def test_one_bucket_rule():
    assert checks.validate_bucket_name("my.bucket", "b", dots=True) == []
    assert checks.validate_bucket_name("my.bucket", "b")[0].startswith("b: 'my.bucket' is not a valid S3 bucket name")
    assert checks.validate_bucket_name("a..b", "b", dots=True)
    assert checks.validate_bucket_name("192.168.1.1", "b", dots=True)
    assert checks.validate_bucket_name("xn--abc", "b")[0].endswith("--table-s3)")


def test_ports_and_cidrs():
    assert checks.validate_port(5432, "p") == []
    assert checks.validate_port(True, "p") and checks.validate_port(70000, "p")
    assert checks.validate_cidr("10.0.0.0/16", "c") == [] and checks.validate_cidr("10.0.0.1/16", "c")


def test_the_stack_view_reads_each_family_once():
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    subnet = {"SubnetId": "subnet-2", "VpcId": "vpc-1", "Tags": [{"Key": "hatrading:layer", "Value": "app"}]}
    other = {"SubnetId": "subnet-1", "VpcId": "vpc-1", "Tags": [{"Key": "hatrading:layer", "Value": "data"}]}
    with Stubber(ec2) as stub:
        stub.add_response("describe_subnets", {"Subnets": [subnet, other]}, {"Filters": ANY})
        view = StackView(Clients(make={"ec2": ec2}.get), "demo")
        assert view.subnet_ids("app") == ["subnet-2"]
        assert view.subnet_ids("data") == ["subnet-1"]
        assert view.vpc_id() == "vpc-1"
        stub.assert_no_pending_responses()


def test_every_tier_of_the_registry_has_its_checks():
    assert set(validators.VALIDATORS) == set(registry.NAMES) | {"stack"}
    message, errors = validators.check("nosuchtier", {})
    tiers = "cdn, compute, database, eks, logs, monitoring, network, nosql, observability, pipeline, stack"
    assert errors == ["tier: 'nosuchtier' is not a tier; use one of %s" % tiers]


def _when(entry):
    return entry.get("when")


def test_optional_tiers_run_only_when_switched_on():
    site = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())
    teardown = yaml.safe_load((REPO / "playbooks" / "teardown.yml").read_text())
    play = [p for p in site if p.get("name") == "Deploy the stack"][0]
    steps = [t for t in play["tasks"] if "ansible.builtin.import_role" in t and "tasks_from" not in t["ansible.builtin.import_role"]]
    deploy = dict((t["ansible.builtin.import_role"]["name"].split(".")[-1], t) for t in steps)
    marks = dict((t["name"][len("Note the start of ") :], t) for t in play["tasks"] if t["name"].startswith("Note the start of "))
    validate = dict((t["ansible.builtin.include_role"]["name"].split(".")[-1], t) for t in site[0]["tasks"] if "ansible.builtin.include_role" in t)
    delete = dict((e["role"].split(".")[-1], e) for e in [p for p in teardown if p.get("roles")][0]["roles"])
    for tier in registry.TIERS:
        want = "%s | default(false) | bool" % registry.switch(tier.name) if tier.optional else None
        assert _when(deploy[tier.name]) == _when(marks[tier.name]) == _when(validate[tier.name]) == _when(delete[tier.name]) == want, tier.name


GROWTH_OVERRIDES = {"database_engine"}  # the demo settings growth.yml changes: the database grows into Aurora


def test_growth_vars_are_the_demo_plus_the_optional_tiers_on():
    demo = yaml.safe_load((REPO / "playbooks" / "vars" / "demo.yml").read_text())
    growth = yaml.safe_load((REPO / "playbooks" / "vars" / "growth.yml").read_text())
    optional = [tier.name for tier in registry.TIERS if tier.optional]
    switches = set(registry.switch(name) for name in optional)
    assert optional
    kept = switches | GROWTH_OVERRIDES
    assert dict((k, v) for k, v in growth.items() if k in demo and k not in kept) == dict((k, v) for k, v in demo.items() if k not in kept)
    assert growth["database_engine"] == "aurora" and growth["database_aurora_reader_scaling"] is True
    for name in optional:
        assert not registry.enabled(name, demo) and registry.enabled(name, growth), name
    assert registry.enabled("network", demo) and registry.switch("network") is None


def test_tier_checks_have_one_shape_build_or_teardown():
    """checks.TierChecks: stack name and tags, then common checks; a build runs its checks, a teardown needs confirm_delete."""
    seen = []

    def own(settings, v):
        seen.append("build")
        return ["%s: too small" % v("size")] if settings.get("size", 1) < 1 else []

    def common(settings, v):
        seen.append("common")
        return []

    def teardown(settings, v):
        seen.append("teardown")
        return []

    tier = checks.TierChecks("the widgets", kept=lambda v: "kept unless %s=true" % v("delete_widgets"), build=(own,), teardown=(teardown,), common=(common,))
    assert tier.settings({"stack": "prod", "size": 0}, "widget_") == ["widget_size: too small"] and seen == ["common", "build"]
    del seen[:]
    errors = tier.settings({"stack": "prod", "state": "absent", "size": 0}, "widget_")
    assert errors == ["widget_confirm_delete: deleting the widgets of stack prod needs widget_confirm_delete=prod (kept unless widget_delete_widgets=true)"]
    assert seen == ["common", "teardown"]
    assert tier.settings({"stack": "prod", "state": "absent", "confirm_delete": "prod"}) == []
    # the module's check: its options as the settings (unprefixed), the stack's name checked first
    assert tier.params({"stack": "Bad Name", "size": 1})[0].startswith("stack: ")


def test_a_bucket_derived_from_the_stack_is_checked_once_the_stack_is():
    def derive(stack, region):
        return "%s.%s" % (stack, region)

    assert checks.validate_stack_bucket({"stack": "prod", "region": "us-east-1"}, lambda o: "cdn_" + o, derive)[0].startswith(
        "cdn_bucket_name (derived from the stack and region): "
    )
    assert checks.validate_stack_bucket({"stack": "Bad Name"}, lambda o: o, derive) == []  # the stack's own check says it
    assert checks.validate_stack_bucket({"stack": "prod", "bucket_name": "ok-bucket"}, lambda o: o, derive) == []
