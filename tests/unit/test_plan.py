from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE, DELETE, UPDATE, Applier, Plan, diff_fields, diff_resources


def test_diff_resources_creates_updates_and_deletes_in_order():
    want = {"a": {"x": 1}, "b": {"x": 2}, "c": {"x": 3}}
    have = {"b": {"x": 2}, "c": {"x": 4}, "z": {"x": 9}}
    changes = diff_resources("thing", want, have)
    assert [(c.action, c.name) for c in changes] == [(CREATE, "a"), (UPDATE, "c"), (DELETE, "z")]
    assert changes[1].fields == ["x"]


def test_diff_resources_keeps_extras_when_asked():
    assert diff_resources("thing", {}, {"z": {}}, delete_extra=False) == []


def test_none_means_leave_alone():
    assert diff_fields({"x": None, "y": 1}, {"x": 5, "y": 1}) == []


def test_plan_render_and_diff():
    plan = Plan(diff_resources("subnet", {"s1": {"cidr": "10.0.0.0/24"}}, {"s2": {"cidr": "10.0.1.0/24"}}))
    assert plan.render() == ["+ subnet s1", "- subnet s2", "Plan: 1 to create, 0 to update, 1 to delete."]
    assert plan.diff() == {"before": {"subnet/s2": {"cidr": "10.0.1.0/24"}}, "after": {"subnet/s1": {"cidr": "10.0.0.0/24"}}}


def test_apply_calls_handlers_in_order_and_finishers_once_per_run():
    calls = []
    plan = Plan(diff_resources("nat", {"n1": {}, "n2": {}}, {}) + diff_resources("route", {"r1": {}}, {}))
    handlers = {("nat", CREATE): lambda c: calls.append(c.name), ("route", CREATE): lambda c: calls.append(c.name)}
    finishers = {("nat", CREATE): lambda changes: calls.append("wait:" + ",".join(c.name for c in changes))}
    assert plan.apply(handlers, finishers) is True
    assert calls == ["n1", "n2", "wait:n1,n2", "r1"]


def test_check_mode_calls_nothing():
    plan = Plan(diff_resources("nat", {"n1": {}}, {}))
    assert plan.apply({}, check_mode=True) is True


def test_empty_plan_is_unchanged():
    assert Plan().apply({}) is False
    assert Plan().render() == ["Plan: 0 to create, 0 to update, 0 to delete."]


def test_applier_finds_handlers_by_method_name():
    class Things(Applier):
        def create_nat_gateway(self, change):
            return "made"

        def delete_security_group_rules(self, change):
            return "gone"

        def _helper(self):
            return None

    handlers = Things().handlers()
    assert sorted(handlers) == [("nat_gateway", CREATE), ("security_group_rules", DELETE)]
    assert Things().finishers() == {}
