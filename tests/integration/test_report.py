"""The report of a whole stack (playbooks/report.yml, the end of site.yml): text, and a page seen in headless Chromium.

The demo stack is deployed from playbooks/vars/demo.yml into a fresh moto; the page must name every
resource moto holds for the stack, draw it, and load without a console error. The screenshot is left at
tests/output/report/demo.png for a person to look at.
"""

import json
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "tests" / "output" / "report"
DEMO = "@" + str(REPO / "playbooks" / "vars" / "demo.yml")


@pytest.fixture(scope="module")
def deployed(moto, ansible, tmp_path_factory):
    """The demo stack deployed by site.yml, which ends by writing the report page."""
    moto.reset()
    folder = tmp_path_factory.mktemp("report")
    out = ansible.playbook(REPO / "playbooks" / "site.yml", extra_args=["-e", DEMO], extra_vars={"hatrading_report_dir": str(folder)})
    assert out["rc"] == 0, json.dumps(out["stats"]) + out["stderr"][-3000:]
    return out, folder / "demo.html"


def names_moto_holds(moto):
    """Every resource of the demo stack as moto reports it, by the name a person would look for."""
    ec2, elb, asg, rds = moto.client("ec2"), moto.client("elbv2"), moto.client("autoscaling"), moto.client("rds")
    mine = [{"Name": "tag:hatrading:stack", "Values": ["demo"]}]

    def tagged(records):
        return [t["Value"] for r in records for t in r.get("Tags", []) if t["Key"] == "Name"]

    found = tagged(ec2.describe_vpcs(Filters=mine)["Vpcs"]) + tagged(ec2.describe_subnets(Filters=mine)["Subnets"])
    found += tagged(ec2.describe_nat_gateways(Filter=mine)["NatGateways"]) + tagged(ec2.describe_route_tables(Filters=mine)["RouteTables"])
    found += [g["GroupName"] for g in ec2.describe_security_groups(Filters=mine)["SecurityGroups"]]
    found += [b["LoadBalancerName"] for b in elb.describe_load_balancers()["LoadBalancers"]]
    found += [t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]]
    groups = asg.describe_auto_scaling_groups()["AutoScalingGroups"]
    found += [g["AutoScalingGroupName"] for g in groups] + [i["InstanceId"] for g in groups for i in g["Instances"]]
    found += [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
    found += [d["Id"] for d in moto.client("cloudfront").list_distributions()["DistributionList"].get("Items", [])]
    found += [b["Name"] for b in moto.client("s3").list_buckets()["Buckets"] if b["Name"].startswith("hatrading-demo-")]
    found += [p["name"] for p in moto.client("codepipeline").list_pipelines()["pipelines"]]
    found += [r["repositoryName"] for r in moto.client("ecr").describe_repositories()["repositories"]]
    found += [a["AlarmName"] for a in moto.client("cloudwatch").describe_alarms()["MetricAlarms"]]
    return sorted(set(found))


def test_site_prints_the_report_and_writes_the_page(deployed, moto):
    out, page = deployed
    lines = out["tasks"]["Show the report"]["msg"]
    assert lines.startswith("== stack demo (us-east-1) ==")
    assert "Database   demo-database" in lines and "Launch templates" in lines
    html = page.read_text()
    names = names_moto_holds(moto)
    assert len(names) > 40
    missing = [name for name in names if name not in html]
    assert missing == []
    assert "api-calls" not in html and "password" not in html.lower()


def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(flag)
    options.add_argument("--no-first-run")
    options.add_argument("--window-size=1500,1800")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def test_the_page_draws_the_stack_without_console_errors(deployed):
    _out, page = deployed
    driver = browser()
    try:
        driver.get(page.as_uri())
        svg = driver.find_element(By.TAG_NAME, "svg")
        assert svg.size["width"] > 800 and svg.size["height"] > 500
        drawn = svg.text
        parts = ("VPC demo-vpc", "us-east-1a", "us-east-1b", "public ALB demo-alb-pub", "internal ALB demo-alb-int", "CloudFront demo-cdn")
        for part in parts + ("CodePipeline demo",):
            assert part in drawn
        assert drawn.count("NAT demo-nat-") == 2  # one per AZ
        assert drawn.count("frontend, ") == 2 and drawn.count("backend, ") == 2  # each instance: its id, its tier and target health
        assert "primary demo-database" in drawn and "standby demo-database" in drawn
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / "demo.png"))
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()
