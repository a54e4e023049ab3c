# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tiers of a stack: their order, their roles and modules, what each reads of the others.

One line per tier. The validate play, site.yml and teardown.yml (their order is tested against
this list), the audit, the report and the bench all read it. A new tier adds its line here.

An optional tier (``optional=True``: the growth tiers) is off unless its switch ``<tier>_enabled``
is true: its lines in site.yml and teardown.yml carry ``when: <tier>_enabled | default(false) | bool``
(tested too), playbooks/vars/demo.yml leaves it off and playbooks/vars/growth.yml turns it on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

APP_TIERS = ("frontend", "backend")

Tier = namedtuple("Tier", "name role module reads optional")
Tier.__new__.__defaults__ = (False,)  # ``optional``: off unless <tier>_enabled
# ``reads``: the tiers whose resources this one looks up (by tag, through the stack view); they deploy before it.
TIERS = (
    Tier("network", "hatrading.aws.network", "hatrading.aws.stack_network", ()),
    Tier("database", "hatrading.aws.database", "hatrading.aws.database_instance", ("network",)),
    Tier("nosql", "hatrading.aws.nosql", "hatrading.aws.stack_nosql", ("database",), optional=True),
    Tier("compute", "hatrading.aws.compute", "hatrading.aws.stack_compute", ("network",)),
    Tier("cdn", "hatrading.aws.cdn", "hatrading.aws.stack_cdn", ("compute",)),
    Tier("eks", "hatrading.aws.eks", "hatrading.aws.stack_eks", ("network", "database"), optional=True),
    Tier("observability", "hatrading.aws.observability", "hatrading.aws.stack_observability", ("compute", "eks"), optional=True),
    Tier("logs", "hatrading.aws.logs", "hatrading.aws.stack_logs", ("network", "database", "compute"), optional=True),
    Tier(
        "monitoring",
        "hatrading.aws.monitoring",
        "hatrading.aws.stack_monitoring",
        ("network", "compute", "database", "nosql", "eks", "observability", "logs"),
    ),
    Tier("pipeline", "hatrading.aws.pipeline", "hatrading.aws.stack_pipeline", ("compute",)),
)
NAMES = tuple(tier.name for tier in TIERS)
BY_NAME = dict((tier.name, tier) for tier in TIERS)


def switch(name):
    """The variable that turns an optional tier on (``nosql_enabled``), or None for a tier always deployed."""
    return "%s_enabled" % name if BY_NAME[name].optional else None


def enabled(name, variables):
    """Whether a run with these variables deploys the tier."""
    flag = switch(name)
    return flag is None or str(variables.get(flag, False)).lower() in ("true", "yes", "on", "1")


def deploy_order(names=None):
    """The tiers to deploy, in order (each after the tiers it reads)."""
    return [name for name in NAMES if names is None or name in names]


def teardown_order(names=None):
    """The tiers to tear down, in order: the reverse of a deploy."""
    return list(reversed(deploy_order(names)))
