"""core/together.read_together: a tier's reads of different services run at once; the AWS layer's clients made once."""

import threading
import time

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.together import read_together


def test_the_branches_run_at_the_same_time_and_answer_by_name():
    # each branch waits for all the others: run one after another, the first would wait in vain
    barrier = threading.Barrier(3, timeout=5)

    def branch(value):
        def read():
            barrier.wait()
            return value

        return read

    found = read_together({"s3": branch(1), "iam": branch(2), "logs": branch(3)})
    assert found == {"s3": 1, "iam": 2, "logs": 3}
    assert list(found) == ["s3", "iam", "logs"]


def test_a_failed_branch_raises_once_every_branch_has_ended():
    ended = []

    def slow():
        time.sleep(0.2)
        ended.append("slow")
        return "done"

    def failing():
        raise ValueError("AccessDenied on iam:GetRole")

    with pytest.raises(ValueError, match="AccessDenied"):
        read_together({"iam": failing, "s3": slow})
    assert ended == ["slow"]  # no read is left running behind the error


def test_one_branch_runs_in_the_callers_thread():
    assert read_together({"s3": threading.current_thread}) == {"s3": threading.current_thread()}


def test_a_service_client_is_made_once_when_branches_ask_for_it_together():
    made = []

    def make(name):
        made.append(name)
        time.sleep(0.05)  # a slow client creation: a second thread would make its own without the lock
        return object()

    clients = Clients(make=make)
    barrier = threading.Barrier(4, timeout=5)

    def ask():
        barrier.wait()
        return clients("sts")

    found = read_together(dict(("branch %d" % index, ask) for index in range(4)))
    assert made == ["sts"]
    assert len(set(id(service) for service in found.values())) == 1
