"""The whole demo stack, as users deploy it: site.yml with playbooks/vars/demo.yml against moto.

`make integration` runs it on the newest ansible-core (.venv), `make compat` on the oldest that
meta/runtime.yml claims (.venv-compat): typed settings must reach every module as their types.
"""

import ansible as ansible_package

DEMO = ("-e", "@playbooks/vars/demo.yml")


def failures(result):
    return {name: task.get("msg") for name, task in result["tasks"].items() if task.get("failed") and not task.get("rescued")}


def test_the_demo_stack_deploys_then_reruns_unchanged(fresh_moto, ansible):
    first = ansible.playbook("playbooks/site.yml", extra_args=DEMO)
    assert first["rc"] == 0, (ansible_package.__version__, failures(first), first["stderr"][-2000:])
    assert first["stats"]["localhost"]["changed"] > 0

    # Integers and booleans templated by the roles arrived as such (before 2.19 they are strings on the way).
    database = fresh_moto.client("rds").describe_db_instances()["DBInstances"][0]
    assert (database["AllocatedStorage"], database["Endpoint"]["Port"], database["MultiAZ"]) == (20, 5432, True)
    groups = fresh_moto.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert sorted((group["AutoScalingGroupName"], group["MinSize"], group["MaxSize"]) for group in groups) == [
        ("demo-backend", 2, 4),
        ("demo-frontend", 2, 4),
    ]
    alarms = fresh_moto.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert alarms and all(isinstance(alarm["Threshold"], float) for alarm in alarms)

    again = ansible.playbook("playbooks/site.yml", extra_args=DEMO)
    assert again["rc"] == 0, failures(again)
    assert again["stats"]["localhost"]["changed"] == 0, [name for name, task in again["tasks"].items() if task.get("changed")]

    # Both runs end with the timeline: each tier in the order it ran, then the long creates and their waits.
    timeline = "Show the timeline (each tier, each long create, how long it ran and waited)"
    for run, database_line in ((first, "database "), (again, "database ")):
        lines = run["tasks"][timeline]["msg"]
        assert lines[0].startswith("timeline"), lines
        steps = [line.split()[0] for line in lines[1:] if " ran " in line]
        assert steps == ["network", "database", "wait", "compute", "cdn", "monitoring", "pipeline", "wait"], lines
        assert any(line.strip().startswith(database_line) and "started" in line for line in lines), lines
        assert lines[-1].strip().startswith("total"), lines
    # on moto's instant clock the database is available when created: nothing to wait for, first run or rerun;
    # the NAT gateways are waited for on the first run only
    assert task_named(first, "Wait for the database").get("skipped"), task_named(first, "Wait for the database")
    assert not task_named(first, "Wait for the NAT gateways").get("skipped"), task_named(first, "Wait for the NAT gateways")
    assert task_named(again, "Wait for the NAT gateways").get("skipped"), task_named(again, "Wait for the NAT gateways")


def task_named(run, name):
    """A role's task result by its name (the JSON callback may prefix the role)."""
    found = [task for key, task in run["tasks"].items() if key == name or key.endswith(" : " + name)]
    assert len(found) == 1, (name, sorted(run["tasks"]))
    return found[0]
