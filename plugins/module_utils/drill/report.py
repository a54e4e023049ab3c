# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill report, in the manner of an FIS experiment report: JSON and Markdown (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


def as_json(report):
    return json.dumps(report, indent=2, sort_keys=True)


def _value(value, unit=""):
    return "n/a" if value is None else "%s%s" % (value, unit)


def as_markdown(report):
    flow = report.get("requests", {})
    orders = report.get("orders", {})
    lines = [
        "# Drill %s of stack %s: %s" % (report["scenario"], report["stack"], report["state"]),
        "",
        "| figure | value |",
        "|---|---|",
        "| target | %s |" % report.get("target", ""),
        "| time to detect | %s |" % _value(report.get("time_to_detect_s"), " s"),
        "| time to recover | %s |" % _value(report.get("time_to_recover_s"), " s"),
        "| order outage (first failure to next ack) | %s |" % _value(report.get("order_outage_s"), " s"),
        "| requests sent / failed | %s / %s (%s %%) |" % (flow.get("sent", 0), flow.get("failed", 0), flow.get("failed_percent", 0)),
        "| orders acknowledged / lost | %s / %s |" % (orders.get("acknowledged", 0), _value(orders.get("lost"))),
        "| invariant check | %s |" % _value(report.get("invariants")),
        "| capacity after | %s |" % _value(report.get("capacity_after")),
        "| stop condition fired | %s |" % (report.get("stop_condition") or "no"),
    ]
    audit = report.get("audit")
    if audit:
        counts = audit["summary"]
        verdict = "passed" if audit["passed"] else "FAILED"
        tally = ", ".join("%s %s" % (counts[status], status) for status in ("pass", "warn", "fail", "skip"))
        lines.append("| HA audit after the drill | %s: %s |" % (verdict, tally))
        lines += ["| audit failed: %s | %s: %s |" % (f["check"], f["resource"], f["detail"]) for f in audit["failed"]]
    lines += [
        "",
        "## Timeline",
        "",
        "| t (s) | event | detail |",
        "|---:|---|---|",
    ]
    lines += ["| %s | %s | %s |" % (e["t_s"], e["event"], e["detail"]) for e in report.get("timeline", [])]
    return "\n".join(lines) + "\n"
