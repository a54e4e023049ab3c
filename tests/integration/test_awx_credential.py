"""The controller's "AWS assume role" credential type: the file and environment its injectors give a job
make botocore assume the role (here against moto's STS), with source keys or without."""

import os
import subprocess
import sys
from pathlib import Path

import jinja2
import yaml

REPO = Path(__file__).resolve().parents[2]


class UnsafeLoader(yaml.SafeLoader):
    pass


UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def injected(tmp_path, **inputs):
    """What AWX does at job start: render the file injector, then the env injector naming it."""
    config = yaml.load((REPO / "awx" / "controller_config.yml").read_text(), Loader=UnsafeLoader)  # noqa: S506 (a SafeLoader)
    (credential_type,) = config["controller_credential_types"]
    values = {field["id"]: field.get("default", "") for field in credential_type["inputs"]["fields"]}
    values.update(inputs)
    config_file = tmp_path / "aws_config"
    config_file.write_text(jinja2.Template(credential_type["injectors"]["file"]["template.config"]).render(**values))
    values["tower"] = {"filename": {"config": str(config_file)}}
    return {name: jinja2.Template(template).render(**values) for name, template in credential_type["injectors"]["env"].items()}


def caller_identity(env, endpoint):
    script = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    clean = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    proc = subprocess.run([sys.executable, "-c", script], env=dict(clean, AWS_ENDPOINT_URL=endpoint, **env), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_source_keys_assume_the_role(moto, tmp_path):
    role = "arn:aws:iam::123456789012:role/hatrading-deployer"
    env = injected(tmp_path, role_arn=role, access_key="AKIAEXAMPLESOURCE", secret_key="secret", region="eu-west-1")
    assert env["AWS_PROFILE"] == "hatrading" and env["AWS_REGION"] == "eu-west-1"
    arn = caller_identity(env, moto.url)
    # moto answers GetCallerIdentity with the assumed role's session, not the source keys' user.
    assert arn.startswith("arn:aws:sts::123456789012:assumed-role/hatrading-deployer/awx-hatrading"), arn


def test_without_keys_the_source_is_the_instance_role(tmp_path):
    env = injected(tmp_path, role_arn="arn:aws:iam::123456789012:role/hatrading-deployer")
    text = Path(env["AWS_CONFIG_FILE"]).read_text()
    assert "credential_source = Ec2InstanceMetadata" in text and "aws_access_key_id" not in text
