"""A realistic clock for the lab's moto server: AWS's in-between states, for AWS's durations divided by a scale.

moto makes every resource ready at once. With ``LAB_CLOCK=realistic`` (or ``--clock realistic``) the
resources below report their in-between state for about as long as AWS takes, divided by
``LAB_CLOCK_SCALE`` (``--clock-scale``; 10 = ten times faster than AWS), so describes and waiters see
real transitions. ``LAB_LATENCY_MS`` (``--latency-ms``) adds a delay to every AWS call, jittered by
``LAB_LATENCY_JITTER`` (a fraction, default 0.5: 50 ms becomes 25-75 ms, 50 ms on average).

How: each model class gets a property over its state attribute. The clock notes when a resource was
made (or modified) and how long AWS would take (a draw in the range below); until that time has passed,
reading the state gives the in-between state. moto's own logic that must see the real state (an Auto
Scaling group counting its InService instances) reads the stored value. The figures and their sources
are in docs/lab.md; nothing in plugins/ or roles/ knows about this.
"""

import os
import random
import threading
import time

from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState
from moto.cloudfront.models import CloudFrontBackend, Distribution
from moto.ec2.models.nat_gateways import NatGateway
from moto.elbv2.models import FakeLoadBalancer
from moto.rds.models import DBCluster, DBInstance, RDSBackend

# Seconds AWS takes (low, high), as reported (docs/lab.md gives the source of each).
AWS_SECONDS = {
    "nat_gateway": (90, 120),
    "load_balancer": (120, 180),
    "db_instance_multi_az": (900, 1200),
    "db_instance_single_az": (240, 360),
    "aurora": (540, 660),  # "about 10 min", for the cluster and for each of its instances
    "distribution": (180, 300),
    "asg_instance": (60, 120),
    # lab choices, not measured figures: a modify applied at once, a CloudFront config change
    "db_modify": (60, 120),
    "distribution_update": (180, 300),
}
# The part of an RDS instance's create spent in backing-up (the first automated backup) after creating.
BACKING_UP_SHARE = 0.2


class Clock:
    """The lab's clock settings: instant (moto as it is) or realistic (durations / scale), plus per-call latency."""

    def __init__(self, mode="instant", scale=10.0, latency_ms=0.0, jitter=0.5, seed=None):
        if mode not in ("instant", "realistic"):
            raise ValueError("clock mode must be instant or realistic, not %r" % mode)
        if float(scale) <= 0:
            raise ValueError("clock scale must be > 0")
        if float(latency_ms) < 0 or not 0 <= float(jitter) <= 1:
            raise ValueError("latency must be >= 0 ms and its jitter between 0 and 1")
        self.mode = mode
        self.scale = float(scale)
        self.latency_ms = float(latency_ms)
        self.jitter = float(jitter)
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, environ=None):
        env = os.environ if environ is None else environ
        seed = env.get("LAB_CLOCK_SEED")
        return cls(
            mode=env.get("LAB_CLOCK") or "instant",
            scale=float(env.get("LAB_CLOCK_SCALE") or 10),
            latency_ms=float(env.get("LAB_LATENCY_MS") or 0),
            jitter=float(env.get("LAB_LATENCY_JITTER") or 0.5),
            seed=int(seed) if seed else None,
        )

    @property
    def realistic(self):
        return self.mode == "realistic"

    def seconds(self, kind):
        """Real seconds one transition of ``kind`` lasts: a draw in AWS's range, divided by the scale."""
        low, high = AWS_SECONDS[kind]
        with self._lock:
            return self._random.uniform(low, high) / self.scale

    def latency(self):
        """Seconds to wait before one AWS call (0 without latency)."""
        if not self.latency_ms:
            return 0.0
        with self._lock:
            spread = self._random.uniform(-self.jitter, self.jitter)
        return self.latency_ms * (1.0 + spread) / 1000.0

    def describe(self):
        text = "clock %s" % self.mode
        if self.realistic:
            text += " (AWS durations / %g)" % self.scale
        if self.latency_ms:
            text += ", latency %g ms +-%d%%" % (self.latency_ms, round(100 * self.jitter))
        return text


_state = {"clock": Clock()}  # the process's clock: moto's backends are per process too


def current():
    return _state["clock"]


def add_arguments(parser):
    """moto_server.py's command-line options; each defaults to its environment variable."""
    env = Clock.from_env()
    parser.add_argument("--clock", choices=["instant", "realistic"], default=env.mode, help="LAB_CLOCK (default instant)")
    parser.add_argument("--clock-scale", type=float, default=env.scale, help="LAB_CLOCK_SCALE: AWS durations divided by this (default 10)")
    parser.add_argument("--latency-ms", type=float, default=env.latency_ms, help="LAB_LATENCY_MS: added to every AWS call (default 0)")
    parser.add_argument("--latency-jitter", type=float, default=env.jitter, help="LAB_LATENCY_JITTER: +- this fraction (default 0.5)")


def from_args(args):
    seed = os.environ.get("LAB_CLOCK_SEED")
    return Clock(args.clock, args.clock_scale, args.latency_ms, args.latency_jitter, seed=int(seed) if seed else None)


# ---- timers on model objects ---------------------------------------------------------------------------


class Timer:
    """In-between states of one resource from ``started``: [(state, seconds)], one after the other."""

    __slots__ = ("started", "phases")

    def __init__(self, phases):
        self.started = time.monotonic()
        self.phases = phases

    def state(self):
        """The in-between state now, or None when the transition is over."""
        elapsed = time.monotonic() - self.started
        for state, seconds in self.phases:
            if elapsed < seconds:
                return state
            elapsed -= seconds
        return None


def start(obj, phases):
    """Show ``phases`` on obj from now (realistic clock only)."""
    if current().realistic:
        obj.__dict__["_lab_timer"] = Timer([(state, seconds) for state, seconds in phases if seconds > 0])


def timed_state(attribute, shown_over, original=None):
    """A property over ``attribute``: the in-between state while the object's timer runs and the stored
    state is one of ``shown_over`` (a resource deleted meanwhile shows its real state)."""
    slot = "_lab_" + attribute

    def raw(self):
        return original.fget(self) if original is not None else self.__dict__.get(slot)

    def getter(self):
        value = raw(self)
        timer = self.__dict__.get("_lab_timer")
        if timer is None or value not in shown_over:
            return value
        state = timer.state()
        if state is None:
            self.__dict__.pop("_lab_timer", None)
            return value
        return state

    def setter(self, value):
        if original is not None:
            original.fset(self, value)
        else:
            self.__dict__[slot] = value

    return TimedState(getter, setter, raw)


class TimedState(property):
    """A property that also hands out the stored state (``raw``) to moto's code that must not see the shown one."""

    def __init__(self, getter, setter, raw):
        super().__init__(getter, setter)
        self.raw = raw


def _after_init(cls, make_phases):
    """Start a timer on every new object of cls."""
    moto_init = cls.__init__

    def __init__(self, *args, **kwargs):
        moto_init(self, *args, **kwargs)
        if current().realistic:
            start(self, make_phases(self))

    cls.__init__ = __init__


def _db_instance_phases(db):
    if getattr(db, "db_cluster_identifier", None):
        return [("creating", current().seconds("aurora"))]
    total = current().seconds("db_instance_multi_az" if db.multi_az else "db_instance_single_az")
    return [("creating", total * (1 - BACKING_UP_SHARE)), ("backing-up", total * BACKING_UP_SHARE)]


def _after_call(cls, name, on_result):
    moto_method = getattr(cls, name)

    def method(self, *args, **kwargs):
        result = moto_method(self, *args, **kwargs)
        if current().realistic:
            on_result(result, args, kwargs)
        return result

    setattr(cls, name, method)


def _on_modify_db_instance(database, args, kwargs):
    db_kwargs = args[1] if len(args) > 1 else kwargs.get("db_kwargs", {})
    if db_kwargs.get("apply_immediately"):  # otherwise AWS waits for the maintenance window
        start(database, [("modifying", current().seconds("db_modify"))])


def _on_modify_db_cluster(cluster, args, kwargs):
    cluster_kwargs = args[0] if args else kwargs.get("kwargs", {})
    if cluster_kwargs.get("apply_immediately"):
        start(cluster, [("modifying", current().seconds("db_modify"))])


def _on_update_distribution(result, args, kwargs):
    start(result[0], [("InProgress", current().seconds("distribution_update"))])


_installed = []


def install(clock):
    """Make ``clock`` the lab's clock; the model patches go in once per process (inert on the instant clock)."""
    _state["clock"] = clock
    if _installed:
        return
    NatGateway.state = timed_state("state", ("available",))
    _after_init(NatGateway, lambda gateway: [("pending", current().seconds("nat_gateway"))])
    FakeLoadBalancer.state = timed_state("state", ("provisioning", "active"))
    _after_init(FakeLoadBalancer, lambda balancer: [("provisioning", current().seconds("load_balancer"))])
    DBInstance.status = timed_state("status", ("available",))
    _after_init(DBInstance, _db_instance_phases)
    DBCluster.status = timed_state("status", ("creating", "available"), original=DBCluster.status)
    _after_init(DBCluster, lambda cluster: [("creating", current().seconds("aurora"))])
    Distribution.status = timed_state("status", ("InProgress", "Deployed"), original=Distribution.status)
    _after_init(Distribution, lambda distribution: [("InProgress", current().seconds("distribution"))])
    InstanceState.lifecycle_state = timed_state("lifecycle_state", ("InService",))
    _after_init(InstanceState, lambda state: [("Pending", current().seconds("asg_instance"))])
    # moto sizes a group by its InService instances: it must count what is there, not what is shown
    raw_lifecycle = InstanceState.lifecycle_state.raw
    FakeAutoScalingGroup.active_instances = lambda group: [state for state in group.instance_states if raw_lifecycle(state) == "InService"]
    _after_call(RDSBackend, "modify_db_instance", _on_modify_db_instance)
    _after_call(RDSBackend, "modify_db_cluster", _on_modify_db_cluster)
    _after_call(CloudFrontBackend, "update_distribution", _on_update_distribution)
    _installed.append(True)


class LatencyApp:
    """WSGI middleware: waits the clock's latency before each AWS call (the lab's own paths are not delayed)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        delay = current().latency()
        if delay > 0:
            time.sleep(delay)
        return self.app(environ, start_response)
