"""The pure parts of waiting late: the progress line, the minutes AWS usually takes, the timeline."""

from ansible_collections.hatrading.aws.plugins.module_utils.core import waits


def entry(kind="db_instance", state="creating", typical=(15, 20), **extra):
    return dict({"kind": kind, "id": "demo-database", "state": state, "ready": state == "available", "typical": list(typical)}, **extra)


def test_the_progress_line_says_what_its_state_how_long_and_how_long_aws_takes():
    assert waits.progress_line("demo-database", entry(), 250) == "waiting for demo-database (creating, 4:10 of about 15-20 min)"
    assert waits.progress_line("demo-nat-a", entry("nat_gateway", "pending", (1.5, 2)), 5) == "waiting for demo-nat-a (pending, 0:05 of about 1.5-2 min)"
    assert waits.progress_line("demo-database", entry("db_cluster", typical=(10, 10)), 3723) == "waiting for demo-database (creating, 1:02:03 of about 10 min)"


def test_only_gone_or_failed_creates_are_given_up_on():
    assert waits.broken([entry(state="creating"), entry(state="backing-up"), entry(state="available")]) == []
    stuck = waits.broken([entry(state="missing"), entry(state="failed"), entry("nat_gateway", "failed")])
    assert [e["state"] for e in stuck] == ["missing", "failed", "failed"]


def test_the_timeline_gives_each_step_from_its_mark_to_the_next_then_each_create():
    marks = [{"name": "network", "at": 1000.0}, {"name": "database", "at": 1012.0}, {"name": "wait for the database", "at": 1050.0}]
    creates = [
        {"name": "NAT gateways", "started": 1005.0, "result": {"skipped": True}, "not_waited": "not waited for"},
        {"name": "database", "started": 1015.0, "result": {"waited": 20.4, "resources": [entry(state="available", ready_after=55.0)]}},
        {"name": "distribution", "started": ""},  # nothing started: no line
    ]
    lines = waits.timeline_lines(marks, creates, now=1070.0)
    assert lines[0].startswith("timeline")
    assert lines[1].split() == ["network", "started", "0:00", "ran", "0:12"]
    assert lines[2].split() == ["database", "started", "0:12", "ran", "0:38"]
    assert lines[3].split()[-4:] == ["started", "0:50", "ran", "0:20"]
    assert lines[4].split() == ["NAT", "gateways", "started", "0:05", "not", "waited", "for"]
    assert lines[5].split() == ["database", "started", "0:15", "ready", "after", "0:55,", "waited", "0:20"]
    assert lines[6].split() == ["total", "1:10"]
    assert len(lines) == 7


def test_no_marks_no_timeline():
    assert waits.timeline_lines([], [], now=1.0) == []


class FakeRDS:
    """An RDS instance that turns available after ``polls`` waiter polls; records the waits asked for."""

    def __init__(self, states):
        self.states = list(states)
        self.waits = []

    def describe_db_instances(self, Filters):
        return [{"DBInstanceIdentifier": "demo-database", "DBInstanceStatus": self.states[0], "MultiAZ": True}]

    def wait(self, waiter, timeout, delay, **params):
        self.waits.append((waiter, timeout, delay, params))
        self.states.pop(0)


def test_a_look_waits_on_botocores_waiter_for_what_is_not_ready_then_reads_again():
    rds = FakeRDS(["creating", "available"])
    clients = type("Clients", (), {"rds": rds})()
    entries = waits.wait_one_look(clients, {"db_instances": ["demo-database"]}, 30, 5, now=lambda: 100.0)
    assert rds.waits == [("db_instance_available", 30.0, 5, {"DBInstanceIdentifier": "demo-database"})]
    assert [(e["id"], e["state"], e["ready"]) for e in entries] == [("demo-database", "available", True)]


def test_a_look_waits_for_nothing_ready_broken_or_in_check_mode():
    for states, window in ((["available"], 30), (["failed"], 30), (["creating"], 0)):
        rds = FakeRDS(states)
        clients = type("Clients", (), {"rds": rds})()
        entries = waits.wait_one_look(clients, {"db_instances": ["demo-database"]}, window, 5, now=lambda: 100.0)
        assert rds.waits == [] and entries[0]["state"] == states[0], states
