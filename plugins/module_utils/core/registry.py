# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tiers of a stack: their order, their roles and modules, what each reads of the others.

One line per tier. The validate play, site.yml and teardown.yml (their order is tested against
this list), the audit, the report and the bench all read it. A new tier adds its line here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

APP_TIERS = ("frontend", "backend")

Tier = namedtuple("Tier", "name role module reads")
# ``reads``: the tiers whose resources this one looks up (by tag, through the stack view); they deploy before it.
TIERS = (
    Tier("network", "hatrading.aws.network", "hatrading.aws.stack_network", ()),
    Tier("database", "hatrading.aws.database", "hatrading.aws.database_instance", ("network",)),
    Tier("compute", "hatrading.aws.compute", "hatrading.aws.stack_compute", ("network",)),
    Tier("cdn", "hatrading.aws.cdn", "hatrading.aws.stack_cdn", ("compute",)),
    Tier("eks", "hatrading.aws.eks", "hatrading.aws.stack_eks", ("network", "database")),
    Tier("monitoring", "hatrading.aws.monitoring", "hatrading.aws.stack_monitoring", ("network", "compute", "database", "eks")),
    Tier("pipeline", "hatrading.aws.pipeline", "hatrading.aws.stack_pipeline", ("compute",)),
)
NAMES = tuple(tier.name for tier in TIERS)
BY_NAME = dict((tier.name, tier) for tier in TIERS)


def deploy_order(names=None):
    """The tiers to deploy, in order (each after the tiers it reads)."""
    return [name for name in NAMES if names is None or name in names]


def teardown_order(names=None):
    """The tiers to tear down, in order: the reverse of a deploy."""
    return list(reversed(deploy_order(names)))
