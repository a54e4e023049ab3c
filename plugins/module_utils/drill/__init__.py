# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failover drills: scenario plans, stop conditions, timeline, reports and FIS templates (model.py, fis.py, report.py, pure);
the synthetic order flow (probe.py, HTTP only) and the run itself through the AWS layer (run.py)."""
