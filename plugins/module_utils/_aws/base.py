# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS layer's machinery, written once: every call retried, "not found" handled once, waiters bounded.

Each ``_aws/<service>.py`` declares a :class:`Service` subclass whose methods are one line each::

    class EC2(Service):
        NAME = "ec2"
        NOT_FOUND = ("InvalidVpcID.NotFound",)        # the error family "no such resource"
        describe_vpcs = api("describe_vpcs", "Vpcs", pages=True)
        delete_vpc = api("delete_vpc", missing=None)  # already gone is what a delete wants

Tier code calls ``clients.ec2.describe_vpcs(Filters=...)`` and never a boto3 client.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import signal
import threading

try:
    from botocore.exceptions import ClientError
    from botocore.waiter import NormalizedOperationMethod
    from botocore.waiter import Waiter
    from botocore.waiter import WaiterModel
    from botocore.waiter import create_waiter_with_client
    from botocore import xform_name
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError

# Throttling codes AWSRetry does not know: JSON-protocol services answer ThrottlingException, S3 SlowDown.
THROTTLING = ("ThrottlingException", "SlowDown", "RequestThrottled", "RequestThrottledException", "EC2ThrottledException", "PriorRequestNotComplete")
# Brief server errors AWSRetry does not know by code: JSON services' forms, and an answer with no code (its HTTP status).
SERVER_ERRORS = ("InternalFailure", "InternalServerError", "ServiceUnavailableException", "500", "502", "503", "504")
RETRIES = 8
RAISE = object()  # ``missing=RAISE``: "not found" is an error for this call
# An undeclared call of these kinds answers None for something already gone: what a delete wants.
GONE_IS_DONE = ("delete_", "deregister_", "detach_", "disassociate_", "remove_", "release_")


READS = ("Describe", "Get", "List", "Head", "Search", "Lookup", "BatchGet", "Check")


class Interrupted(TierError):
    """A signal asked the module to stop: raised instead of the next AWS call, naming what the run did."""


class Interruption:
    """SIGTERM (or SIGINT) sets a flag; the next AWS call of any Service, a waiter's poll included, raises Interrupted.

    Ansible passes a SIGTERM or Ctrl-C of ansible-playbook to the module's process group, and a module killed at
    once could leave a request half-done without a word; stopped between calls, it fails saying which changes it made.
    """

    def __init__(self):
        self.signal = None
        self.reads = 0
        self._counting = threading.Lock()  # reads of different services run in threads (core/together.py)
        self.changes = []  # "service Operation" of each change AWS accepted, in order

    def listen(self):
        """Called by a module's main before its first AWS call (a signal handler is the process's, one per run)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.ask)

    def ask(self, signum, frame=None):
        self.signal = signum

    def before_call(self, event_name, **kwargs):
        if self.signal is not None:
            raise Interrupted(self.report(" ".join(event_name.split(".")[1:3])))

    def after_call(self, event_name, http_response=None, **kwargs):
        if http_response is None or http_response.status_code >= 300:
            return  # refused: it changed nothing
        service, operation = event_name.split(".")[1:3]
        if operation.startswith(READS):
            with self._counting:
                self.reads += 1
        else:
            self.changes.append("%s %s" % (service, operation))
            READ_CACHE.stop()

    def report(self, next_call):
        name = signal.Signals(self.signal).name
        changes = ", ".join(self.changes) if self.changes else "none"
        return "stopped by %s before %s; the run had made %d reads and %d changes: %s. Run again to finish (a rerun adopts what exists)" % (
            name,
            next_call,
            self.reads,
            len(self.changes),
            changes,
        )


INTERRUPTION = Interruption()  # one per module process

# Reads whose answers carry a secret: never kept, never handed on.
SECRET_READS = (
    "get_secret_value",
    "get_random_password",
    "get_parameter",
    "get_parameters",
    "get_parameters_by_path",
    "get_authorization_token",
    "get_session_token",
)
SNAKE_READS = tuple(prefix.lower() + "_" for prefix in READS if prefix != "BatchGet") + ("batch_get_",)


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError("not JSON")


class ReadCache:
    """The answers of a run's reads, handed from one module to the next (site.yml keeps them in a fact).

    Off unless a module is given the answers so far (O(read_cache)). Only answers from before any change
    are kept: the first change AWS accepts stops the cache for the rest of the module and hands on nothing,
    so no module ever plans on an answer older than a change. Answers are kept as JSON (times as text),
    "not found" answers as their error; a secret's value never.
    """

    def __init__(self):
        self.answers = None  # None: off
        self.stopped = False

    def start(self, answers):
        self.answers, self.stopped = dict(answers or {}), False

    def stop(self):
        """A change was made: what was read before it may be stale."""
        if self.answers is not None:
            self.answers, self.stopped = None, True

    def handed_on(self):
        """What the next module may use: {} after a change."""
        return {} if self.stopped else dict(self.answers or {})

    @property
    def active(self):
        """Whether the run hands its reads on (and no change was made yet in this module)."""
        return self.answers is not None

    def knows(self, service, operation, params):
        """Whether ``operation`` (``name:key`` for a paginated read) with ``params`` was answered earlier in the run."""
        return self.answers is not None and self.key(service, operation, params) in self.answers

    @staticmethod
    def key(service, operation, params):
        return json.dumps([service, operation, params], sort_keys=True, default=str)

    def answer(self, service, operation, params, read):
        """``read()``'s answer, from the cache when this read was answered before in the run."""
        if self.answers is None or not operation.startswith(SNAKE_READS) or operation in SECRET_READS:
            return read()
        key = self.key(service, operation, params)
        if key in self.answers:
            kept = self.answers[key]
            if "error" in kept:
                raise ClientError(copy.deepcopy(kept["error"]), xform_operation(operation.split(":")[0]))
            return copy.deepcopy(kept["answer"])
        try:
            answer = read()
        except ClientError as error:
            if is_not_found(error, NOT_FOUND_CODES.get(service, ())):  # "no such resource" is an answer too
                self._keep(key, {"error": {"Error": dict(error.response.get("Error") or {})}})
            raise
        if isinstance(answer, dict):
            answer = dict((k, v) for k, v in answer.items() if k != "ResponseMetadata")
        self._keep(key, {"answer": answer})
        return answer

    def _keep(self, key, entry):
        if self.answers is None:  # a change was made while reading
            return
        try:
            self.answers[key] = json.loads(json.dumps(entry, default=_plain))
        except (TypeError, ValueError):
            pass  # a stream (an object's body): read again when asked


READ_CACHE = ReadCache()  # one per module process
NOT_FOUND_CODES = {}  # service name -> its NOT_FOUND codes, filled as Services are made


def xform_operation(operation):
    return "".join(part.capitalize() for part in operation.split("_"))


def error_code(error):
    """The AWS error code of a ClientError; "" when the answer had none (an HTML or empty body)."""
    return (getattr(error, "response", None) or {}).get("Error", {}).get("Code") or ""


# "A resource of that name exists": what a create retried after its answer was lost meets (the first call took effect).
ALREADY_EXISTS = (
    "AlreadyExists",  # Auto Scaling
    "EntityAlreadyExists",  # IAM
    "DuplicateTargetGroupName",
    "DuplicateLoadBalancerName",
    "ResourceAlreadyExistsException",  # CloudWatch Logs, CodeBuild
    "RepositoryAlreadyExistsException",  # ECR
    "RepositoryNameExistsException",  # CodeCommit
    "ApplicationAlreadyExistsException",
    "DeploymentGroupAlreadyExistsException",
    "PipelineNameInUseException",
    "OriginAccessControlAlreadyExists",
    "DistributionAlreadyExists",  # CloudFront: a CallerReference already used (the retry of a create whose answer was lost)
    "BucketAlreadyOwnedByYou",
)


def already_exists(error):
    """True for an answer saying a resource of that name exists (a retried create, or another run made it first)."""
    return isinstance(error, ClientError) and error_code(error) in ALREADY_EXISTS


def create_or_adopt(call, **params):
    """``call(**params)``, a create: its answer, or None when AWS answers that the resource exists (a create retried after
    its first answer was lost, or made by another run): the caller adopts it, carries on as if made, and says so."""
    try:
        return call(**params)
    except ClientError as error:
        if not already_exists(error):
            raise
    return None


def is_not_found(error, codes):
    return isinstance(error, ClientError) and error_code(error) in codes


class StackRetry(AWSRetry):
    """AWSRetry that reads the code of any answer, even one without an ``Error`` (AWSRetry raises KeyError there)."""

    @staticmethod
    def status_code_from_exception(error):
        return error_code(error)


def retry_answer(codes, says, retried_as):
    """A StackRetry that also retries one answer told apart by its message: one of ``codes`` whose message (lower case)
    ``says(message)``, retried as the code ``retried_as`` (a Service's RETRY_CODES names it). The same codes answer
    real mistakes (invalid input), so the message decides: e.g. a role IAM made a moment ago that a service cannot assume yet."""

    class MessageRetry(StackRetry):
        @staticmethod
        def status_code_from_exception(error):
            found = error_code(error)
            message = ((getattr(error, "response", None) or {}).get("Error") or {}).get("Message") or ""
            return retried_as if found in codes and says(message.lower()) else found

    return MessageRetry


def waiter(operation, path=None, success=(), failure=(), gone=None, delay=5, attempts=120, failure_path=None):
    """One of a Service's ``WAITERS`` (botocore's waiter model): ``operation`` polled until ``path`` (a JMESPath of its
    answer) is one of ``success`` or of ``failure`` (``failure_path``'s, when another path tells a failure), or until
    it answers the error ``gone`` (done: deleted). :meth:`Service.wait` sets the delay and attempts from its timeout."""
    acceptors = [{"matcher": "path", "argument": path, "expected": value, "state": "success"} for value in success]
    acceptors += [{"matcher": "path", "argument": failure_path or path, "expected": value, "state": "failure"} for value in failure]
    if gone:
        acceptors.append({"matcher": "error", "expected": gone, "state": "success"})
    return {"operation": operation, "delay": delay, "maxAttempts": attempts, "acceptors": acceptors}


def api(operation, key=None, pages=False, missing=RAISE, codes=None):
    """A Service method calling ``operation`` with keyword arguments, retried.

    ``key`` picks that part of the answer (a list with ``pages=True``, which follows every page);
    ``missing`` is what the method returns when AWS answers "not found" (one of the service's
    NOT_FOUND codes, or ``codes``); by default that is an error like any other. A caller may
    give its own ``missing=`` for one call (a read that expects the resource may be absent).
    """
    default = missing

    def method(self, missing=default, **params):
        # a call that accepts "not found" must not first retry it as eventual consistency
        settled = missing is not RAISE
        try:
            if pages:
                return self.paginate(operation, key, settled=settled, **params)
            answer = self.call(operation, settled=settled, **params)
        except ClientError as error:
            if settled and error_code(error) in (codes or self.NOT_FOUND):
                return copy.copy(missing)
            raise
        return answer.get(key) if key else answer

    method.__name__ = operation
    method.__doc__ = "%s%s, retried%s." % (operation, "[%s]" % key if key else "", "; %r when not found" % (default,) if default is not RAISE else "")
    return method


class Service:
    """One AWS service's client for a whole run, behind retried, named calls.

    ``NAME`` is the boto3 service name; ``NOT_FOUND`` the codes that mean "no such resource";
    ``RETRY_CODES`` extra codes worth retrying (eventual consistency right after a create);
    ``WAITERS`` {name: :func:`waiter`} for the waiters botocore lacks.
    """

    NAME = None
    NOT_FOUND = ()
    RETRY_CODES = ()
    WAITERS = None
    RETRY_CLASS = StackRetry

    def __init__(self, client, retries=RETRIES, **backoff):
        """``backoff``: AWSRetry.jittered_backoff's delay, backoff and max_delay, for a caller with its own policy (the inventory)."""
        self.client = client
        NOT_FOUND_CODES[self.NAME] = tuple(self.NOT_FOUND)
        events = getattr(getattr(client, "meta", None), "events", None)
        if events is not None:  # every call, waiter polls and pages included, passes the stop check and the journal
            events.register_first("before-call.*.*", INTERRUPTION.before_call, unique_id="hatrading-stop")
            events.register("after-call.*.*", INTERRUPTION.after_call, unique_id="hatrading-journal")
        self.retry = self.RETRY_CLASS.jittered_backoff(
            retries=retries, catch_extra_error_codes=list(THROTTLING + SERVER_ERRORS + tuple(self.RETRY_CODES)), **backoff
        )
        settled = tuple(code for code in self.RETRY_CODES if code not in self.NOT_FOUND)
        self.retry_settled = self.RETRY_CLASS.jittered_backoff(retries=retries, catch_extra_error_codes=list(THROTTLING + SERVER_ERRORS + settled), **backoff)
        # a waiter's poll: throttling and 5xx only, as "not found" may be what the waiter's acceptors wait for
        self.poll_retry = self.RETRY_CLASS.jittered_backoff(retries=retries, catch_extra_error_codes=list(THROTTLING + SERVER_ERRORS), **backoff)

    def __getattr__(self, operation):
        """Any operation of the service's API not declared in the class: retried, and paginated when botocore can.

        A paginated read answers its list (the paginator's result key); any other call its whole answer;
        a delete (``GONE_IS_DONE``) of something already gone answers None. Declare a call in the class only to
        give it another default ``missing`` or another key.
        """
        if operation.startswith("_") or operation not in self.client.meta.method_to_api_mapping:
            raise AttributeError("%s has no operation %s" % (self.NAME, operation))
        key = None
        if self.client.can_paginate(operation):
            keys = [expression.expression for expression in self.client.get_paginator(operation).result_keys]
            key = keys[0] if len(keys) == 1 else None  # several result keys: the caller picks from the whole answer
        missing = None if operation.startswith(GONE_IS_DONE) else RAISE
        method = api(operation, key, pages=key is not None, missing=missing).__get__(self)
        self.__dict__[operation] = method  # made once per run
        return method

    def call(self, operation, settled=False, **params):
        """``operation`` retried; ``settled``: "not found" is an answer, not eventual consistency."""
        retried = (self.retry_settled if settled else self.retry)(getattr(self.client, operation))
        return READ_CACHE.answer(self.NAME, operation, params, lambda: retried(**params))

    def paginate(self, operation, key, settled=False, **params):
        def all_pages():
            answer = self.client.get_paginator(operation).paginate(**params).build_full_result()
            for part in key.split("."):  # "DistributionList.Items": CloudFront nests its lists
                answer = answer.get(part) or {}
            return answer or []

        return READ_CACHE.answer(self.NAME, "%s:%s" % (operation, key), params, (self.retry_settled if settled else self.retry)(all_pages))

    def wait(self, waiter_name, timeout, delay=5, **params):
        """Wait up to ``timeout`` seconds (at least one attempt) on botocore's waiter or one of ``WAITERS``.

        A botocore waiter fails on any error answer its model has no acceptor for, throttling included,
        even after the client's own retries. Each poll here is retried on throttling and 5xx answers
        (``poll_retry``) before the waiter sees it, so a long wait (NAT, RDS) survives a throttled poll.
        """
        if self.WAITERS and waiter_name in self.WAITERS:
            model = create_waiter_with_client(waiter_name, WaiterModel({"version": 2, "waiters": self.WAITERS}), self.client)
        else:
            model = self.client.get_waiter(waiter_name)
        poll = self.poll_retry(getattr(self.client, xform_name(model.config.operation)))
        waiter = Waiter(model.name, model.config, NormalizedOperationMethod(poll))
        waiter.wait(WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(timeout) // delay)}, **params)
