# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report as one self-contained HTML page: the architecture drawn as SVG from the live stack, then the details.

The drawing: the edge (users, CloudFront, the S3 bucket) on top; the VPC with one column per AZ and a
row per subnet layer (public: NAT gateway and the public ALB; app: the front-end instances, the internal
ALB, the back-end instances, each coloured by its target health; data: the database primary and standby);
the delivery pipeline underneath. No script, no external file: it opens anywhere.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from html import escape
except ImportError:  # Python 2 (never on a controller this collection supports)
    from cgi import escape

from ansible_collections.hatrading.aws.plugins.module_utils.report import text

LABEL_W, COL_W, GAP, BOX_W, BOX_H = 120, 300, 14, 136, 40
STATE_CLASS = {"healthy": "ok", "unhealthy": "bad", "initial": "wait", "draining": "wait", "unused": "idle", "unregistered": "idle"}
# The optional tiers drawn in a band of their own under the VPC, in this order, each when its report part has this key.
OPTIONAL_TIERS = (("nosql", "tables"), ("eks", "cluster"), ("observability", "workspace"), ("logs", "domain"))
CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#1d2733;background:#f6f8fb}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px} .meta{color:#5a6b7d;margin-bottom:16px}
svg{background:#fff;border:1px solid #d5dde6;border-radius:8px;max-width:100%;height:auto}
pre{background:#fff;border:1px solid #d5dde6;border-radius:8px;padding:12px;overflow-x:auto;font-size:12px}
.vpc{fill:#eef5ff;stroke:#4a7fc1;stroke-width:2} .az{fill:none;stroke:#9fb6d3;stroke-dasharray:6 4}
.public{fill:#e6f4ea;stroke:#6aa57a} .app{fill:#e8f0fe;stroke:#6d8fd1} .data{fill:#fdf0e2;stroke:#d59a52}
.alb{fill:#8e44ad;stroke:#5e2d73} .nat{fill:#1f7a5c;stroke:#145c44} .edge{fill:#ffffff;stroke:#56657a}
.db{fill:#b55d0b;stroke:#7c3f05} .standby{fill:#fff3e4;stroke:#b55d0b;stroke-dasharray:5 3}
.ok{fill:#2e7d32;stroke:#1b5e20} .bad{fill:#c62828;stroke:#8e1b1b} .wait{fill:#f2a900;stroke:#b07b00} .idle{fill:#8493a5;stroke:#5f6d7e}
.pipe{fill:#fff;stroke:#56657a} text{font-family:system-ui,sans-serif;font-size:12px;fill:#1d2733}
text.w{fill:#fff} text.h{font-weight:600;font-size:13px} text.id{font-size:11px;font-weight:500}
text.s{font-size:11px;fill:#4a5a6c} text.sw{font-size:11px;fill:#fff}
line{stroke:#56657a;stroke-width:1.5}
"""


def _rect(x, y, w, h, cls, rx=6):
    return '<rect x="%d" y="%d" width="%d" height="%d" rx="%d" class="%s"/>' % (x, y, w, h, rx, cls)


def _text(x, y, value, cls="", anchor="start"):
    return '<text x="%d" y="%d" class="%s" text-anchor="%s">%s</text>' % (x, y, cls, anchor, escape(str(value)))


def _box(x, y, w, h, cls, title, detail="", light=False, small=False):
    """A filled box with a title and a detail line (white text on dark fills)."""
    title_cls, detail_cls = ("h", "s") if light else ("w h", "sw")
    title_cls += " id" if small else ""
    out = [_rect(x, y, w, h, cls), _text(x + 8, y + 16, title, title_cls)]
    if detail:
        out.append(_text(x + 8, y + 31, detail, detail_cls))
    return out


def _arrow(x1, y1, x2, y2):
    return '<line x1="%d" y1="%d" x2="%d" y2="%d" marker-end="url(#arrow)"/>' % (x1, y1, x2, y2)


def _short(value, size=20):
    value = str(value or "-")
    return value if len(value) <= size else value[: size - 1] + "\u2026"


class Drawing:
    """Places the stack's parts on a grid of AZ columns and layer rows."""

    def __init__(self, report):
        self.report = report
        network = report["network"]
        self.azs = sorted(set(s["az"] for s in network.get("subnets") or [])) or ["(no AZ)"]
        self.width = max(LABEL_W + len(self.azs) * (COL_W + GAP) + 40, 1100)  # the edge and pipeline rows need 1100
        self.groups = dict((g["tier"], g) for g in report["compute"]["auto_scaling_groups"])
        self.out = []

    def col_x(self, az):
        index = self.azs.index(az) if az in self.azs else 0
        return LABEL_W + 20 + index * (COL_W + GAP)

    def instance_rows(self, tier):
        per_az = {}
        for instance in (self.groups.get(tier) or {}).get("instances", []):
            per_az[instance["az"]] = per_az.get(instance["az"], 0) + 1
        return max([1] + [(count + 1) // 2 for count in per_az.values()])

    def svg(self):
        y = self.edge(16)
        y = self.vpc(y + 30)
        for tier, deployed in OPTIONAL_TIERS:  # a band under the VPC each, only when deployed
            if (self.report.get(tier) or {}).get(deployed):
                y = getattr(self, tier)(self.report[tier], y + 30)
        y = self.pipeline(y + 30)
        self.legend(y + 14)
        height = y + 50
        head = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" role="img" aria-label="architecture of stack %s">' % (
            self.width,
            height,
            self.width,
            escape(self.report["stack"]),
        )
        marker = (
            '<defs><marker id="arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto">'
            '<path d="M0,0 L10,4 L0,8 z" fill="#56657a"/></marker></defs>'
        )
        return "\n".join([head, marker] + self.out + ["</svg>"])

    def edge(self, y):
        cdn = self.report["cdn"]
        dist, bucket = cdn.get("distribution"), cdn.get("bucket")
        x = LABEL_W + 20
        self.out += _box(x, y, 150, BOX_H, "edge", "Users", "internet", light=True)
        self.out += _box(x + 200, y, 260, BOX_H, "edge", "CloudFront " + (dist["name"] if dist else "(none)"), dist and dist["domain_name"] or "", light=True)
        self.out += _box(x + 510, y, 300, BOX_H, "edge", "S3 " + (bucket["name"] if bucket else "(no bucket)"), "static front-end", light=True)
        self.out += [_arrow(x + 150, y + 20, x + 198, y + 20), _arrow(x + 460, y + 20, x + 508, y + 20)]
        return y + BOX_H

    def vpc(self, top):
        network = self.report["network"]
        vpc = network.get("vpc") or {"name": "(no VPC)", "cidr": ""}
        rows = [("public", 110), ("app", 40 + (self.instance_rows("frontend") + self.instance_rows("backend")) * (BOX_H + 8) + 44), ("data", 110)]
        height = sum(row_height for _layer, row_height in rows) + 60
        self.out.append(_rect(LABEL_W, top, len(self.azs) * (COL_W + GAP) + 26, height, "vpc", 10))
        self.out.append(_text(LABEL_W + 12, top + 20, "VPC %s  %s" % (vpc["name"], vpc["cidr"]), "h"))
        for az in self.azs:
            self.out.append(_rect(self.col_x(az) - 6, top + 30, COL_W + 2, height - 38, "az", 8))
            self.out.append(_text(self.col_x(az) + COL_W // 2, top + 46, az, "h", "middle"))
        y = top + 56
        for layer, row_height in rows:
            self.out.append(_text(12, y + row_height // 2, "%s subnets" % layer, "h"))
            for subnet in [s for s in network.get("subnets") or [] if s["layer"] == layer]:
                x = self.col_x(subnet["az"])
                self.out.append(_rect(x, y, COL_W - 10, row_height - 8, layer))
                self.out.append(_text(x + 8, y + 15, "%s  %s" % (subnet["name"], subnet["cidr"]), "s"))
            getattr(self, "fill_" + layer)(y)
            y += row_height
        return top + height

    def fill_public(self, y):
        for nat in self.report["network"].get("nat_gateways") or []:
            self.out += _box(self.col_x(nat["az"]) + 8, y + 58, 230, BOX_H - 4, "nat", "NAT " + nat["name"], nat["state"])
        self.balancer("frontend", y + 24)

    def balancer(self, tier, y):
        found = [b for b in self.report["compute"]["load_balancers"] if b["tier"] == tier]
        if not found:
            return
        balancer = found[0]
        xs = [self.col_x(az) for az in balancer["azs"] if az in self.azs] or [self.col_x(self.azs[0])]
        left, right = min(xs) + 8, max(xs) + COL_W - 26
        label = "%s ALB %s" % ("public" if balancer["scheme"] == "internet-facing" else "internal", balancer["name"])
        self.out += [_rect(left, y, right - left, 26, "alb", 13), _text(left + 12, y + 17, label, "w h")]

    def fill_app(self, y):
        y = self.instances("frontend", y + 24)
        self.balancer("backend", y + 4)
        self.instances("backend", y + 38)

    def instances(self, tier, y):
        group = self.groups.get(tier)
        rows = self.instance_rows(tier)
        for az in self.azs:
            mine = [i for i in (group or {}).get("instances", []) if i["az"] == az]
            for index, instance in enumerate(mine):
                x = self.col_x(az) + 8 + (index % 2) * (BOX_W + 8)
                top = y + (index // 2) * (BOX_H + 8)
                state = STATE_CLASS.get(instance["target"], "idle")
                self.out += _box(x, top, BOX_W, BOX_H, state, instance["id"], "%s, %s" % (tier, instance["target"]), small=True)
        if group is None:
            self.out.append(_text(self.col_x(self.azs[0]) + 8, y + 24, "no %s group" % tier, "s"))
        return y + rows * (BOX_H + 8)

    def fill_data(self, y):
        db = self.report["database"].get("database")
        if not db:
            self.out.append(_text(self.col_x(self.azs[0]) + 8, y + 50, "no database", "s"))
            return
        used = set()
        for member in db["members"]:
            az = member["az"] if member["az"] in self.azs else next((a for a in self.azs if a not in used), self.azs[0])
            used.add(az)
            standby = member["role"] in ("standby", "reader")
            title = "%s %s" % (member["role"], _short(member["id"], 16))
            self.out += _box(
                self.col_x(az) + 8, y + 30, 200, BOX_H + 6, "standby" if standby else "db", title, "%s, %s" % (db["engine"], member["class"]), standby
            )

    def band(self, y, tier, caption):
        """A tier's band below the VPC: its name at the left, ``caption`` above its boxes."""
        self.out.append(_text(12, y + 26, tier, "h"))
        self.out.append(_text(LABEL_W + 20, y - 6, caption, "s"))

    def regional_row(self, y, boxes):
        """Regional resources (in no AZ of their own) side by side from the left: ``boxes`` of (title, detail)."""
        x = LABEL_W + 20
        for title, detail in boxes:
            self.out += _box(x, y, 260, BOX_H, "edge", title, detail, light=True)
            x += 290

    def nosql(self, part, y):
        """The regional DynamoDB tables."""
        self.band(y, "nosql", "DynamoDB, regional (3 AZs)")
        boxes = [
            ("table " + table["name"], "%s, PITR %s" % (table["billing"].lower().replace("_", " "), "on" if table["point_in_time_recovery"] else "off"))
            for table in part["tables"]
        ]
        self.regional_row(y, boxes)
        return y + BOX_H

    def eks(self, part, y):
        """The EKS cluster (control plane run by AWS) and its node groups under the AZ they run in."""
        detail = "Kubernetes %s, %s endpoint, %d subnets, secrets %s" % (
            part.get("version") or "-",
            part.get("endpoint") or "-",
            part.get("subnets") or 0,
            "encrypted" if part.get("secrets_encrypted") else "NOT encrypted",
        )
        self.band(y, "eks", "EKS cluster %s (%s): %s" % (part["cluster"], part.get("status") or "-", detail))
        for index, group in enumerate(part.get("nodegroups") or []):
            # a node group's nodes sit in the app subnets of its AZ; one without a zone label goes to the first free column
            x = self.col_x(group["zone"]) if group.get("zone") in self.azs else self.col_x(self.azs[index % len(self.azs)])
            state = "ok" if group.get("status") == "ACTIVE" else "wait"
            self.out += _box(x + 8, y, COL_W - 26, BOX_H, state, "node group " + _short(group["name"], 24), "%s, %s" % (group.get("status"), group["sizes"]))
        return y + BOX_H

    def observability(self, part, y):
        """The regional Prometheus workspace, its rules and what feeds it."""
        self.band(y, "observability", "Amazon Managed Service for Prometheus, regional (3 AZs)")
        rules = "%d recording, %d alerting rules" % (part["recording_rules"], part["alerting_rules"])
        boxes = (("workspace " + part["workspace"], part["status"] or "-"), ("rules " + (part["rules_namespace"] or "(none)"), rules))
        boxes += (("collector", "agent scrape config" if part["agent_configuration"] else "(none found)"),)
        self.regional_row(y, boxes)
        return y + BOX_H

    def logs(self, part, y):
        """The OpenSearch domain's nodes in each AZ column, fed by Firehose."""
        caption = "OpenSearch %s (%s), VPC only, zone awareness %s; fed by Firehose from the app and flow log groups"
        self.band(y, "logs", caption % (part["domain"], part["engine"], "on" if part["zone_awareness"] else "off"))
        for az in part["zones"]:
            self.out += _box(self.col_x(az) + 8, y, 200, BOX_H, "db", "opensearch " + part["domain"], "%s, %s" % (az, part["status"]))
        return y + BOX_H

    def pipeline(self, y):
        part = self.report["pipeline"]
        steps = [
            ("CodeCommit", part["code_repository"] if part["pipeline"] else "(none)"),
            ("CodeBuild", part["build_project"] or "(none)"),
            ("ECR", "%d repositories" % len(part["repositories"])),
            ("CodeDeploy", "%d deployment groups" % len(part["deployment_groups"])),
        ]
        self.band(y, "pipeline", "CodePipeline %s, artifacts in %s" % (part["pipeline"] or "(none)", part["artifact_bucket"] or "-"))
        x = LABEL_W + 20
        for index, (title, detail) in enumerate(steps):
            self.out += _box(x, y, 190, BOX_H, "pipe", title, detail, light=True)
            if index < len(steps) - 1:
                self.out.append(_arrow(x + 190, y + 20, x + 228, y + 20))
            x += 230
        return y + BOX_H

    def legend(self, y):
        x = LABEL_W + 20
        for cls, label in (("ok", "healthy target"), ("wait", "initial / draining"), ("bad", "unhealthy"), ("idle", "not registered")):
            self.out += [_rect(x, y, 14, 14, cls, 3), _text(x + 20, y + 12, label, "s")]
            x += 150


def render(report, audit_lines=None, cost_lines=None):
    """The whole page."""
    sections = []
    for tier, lines_of in text.SECTIONS:
        lines = lines_of(report[tier])
        if lines:  # an optional tier not deployed has no section
            sections.append("<h2>%s</h2><pre>%s</pre>" % (tier, escape("\n".join(lines))))
    if cost_lines:
        sections.append("<h2>cost</h2><pre>%s</pre>" % escape("\n".join(cost_lines)))
    if audit_lines:
        sections.append("<h2>HA audit</h2><pre>%s</pre>" % escape("\n".join(audit_lines)))
    title = "Stack %s (%s)" % (report["stack"], report["region"])
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s</title><style>%s</style></head><body>'
        '<h1>%s</h1><div class="meta">drawn from what AWS reports now; every resource is found by its hatrading:stack tag</div>%s%s</body></html>'
        % (escape(title), CSS, escape(title), Drawing(report).svg(), "".join(sections))
    )
