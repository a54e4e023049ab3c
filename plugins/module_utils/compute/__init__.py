# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compute tier: per app tier (frontend, backend) a load balancer, a launch template and an Auto Scaling group.

The entry points are those of every tier: ``model`` (settings and their checks, pure), ``read``
(the run's StackView of the network) and ``apply`` (``reconcile`` of stack_compute and of the three
one-tier modules). The tier has three steps that users also run one at a time (the modules
compute_load_balancer, compute_launch_template, compute_autoscaling), so each step is a file of its
own, ``balancer.py``, ``template.py`` and ``group.py``, holding that step's model, read and Applier:
a field of a step touches its desired state, its read and its handler together, in one file, and
three steps in one model/read/apply file each would make three files of three unrelated halves.
``roll.py`` is the rolling update (module compute_rolling_update), an operation on running groups.
"""
