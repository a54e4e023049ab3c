"""The hatrading.aws.database role end to end against moto: the canary password never shows, bad input is refused.

The role runs at -vvv with the default callback and ANSIBLE_LOG_PATH set; the master password
(a canary placed in the stack's secret, as after a rotation) must appear in none of stdout,
stderr or the log file, while the database is really built from it.
"""

import json
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]

STACK = "dbrole"
CANARY = "Canary-7f3c9d1e-Pw!"
SECRET = STACK + "/database/master"


def write_playbook(tmp_path, role_vars):
    play = [
        {
            "name": "Database tier",
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {"hatrading_stack": STACK, "hatrading_region": "us-east-1"},
            "roles": [{"role": "hatrading.aws.database", "vars": dict({"database_wait_timeout": 60}, **role_vars)}],
            "post_tasks": [{"name": "Report the database outputs", "ansible.builtin.debug": {"var": "database_outputs"}}],
        }
    ]
    path = tmp_path / "database.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return path


def run_verbose(ansible, playbook, log_path):
    env = ansible.env({"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_LOG_PATH": str(log_path), "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    return subprocess.run(["ansible-playbook", "-vvv", str(playbook)], check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_role_builds_database_and_never_shows_the_password(fresh_moto, ansible, tmp_path):
    assert ansible.module("hatrading.aws.stack_network", {"stack": STACK, "vpc_cidr": "10.30.0.0/16"})["rc"] == 0
    secret = {"engine": "postgres", "username": "dbadmin", "password": CANARY, "dbname": "trading", "port": 5432}
    arn = fresh_moto.client("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps(secret))["ARN"]

    log = tmp_path / "ansible.log"
    proc = run_verbose(ansible, write_playbook(tmp_path, {}), log)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = log.read_text()
    assert "Reconcile the master credentials, the KMS key, subnet group, parameter group and the database" in text  # the log is written
    assert "<ESTABLISH LOCAL CONNECTION" in proc.stdout or "ESTABLISH LOCAL CONNECTION" in proc.stdout  # -vvv took effect
    for where, output in (("stdout", proc.stdout), ("stderr", proc.stderr), ("ANSIBLE_LOG_PATH", text)):
        assert CANARY not in output, "the master password leaked to " + where

    # The database is real, built from the secret, and the secret was kept (not regenerated).
    (db,) = fresh_moto.client("rds").describe_db_instances()["DBInstances"]
    assert db["DBInstanceIdentifier"] == STACK + "-database" and db["MultiAZ"] and db["StorageEncrypted"]
    assert json.loads(fresh_moto.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])["password"] == CANARY

    # Second run: nothing changes, no mutating call; the back-end gets the secret's ARN.
    fresh_moto.forget_calls()
    again = ansible.playbook(write_playbook(tmp_path, {}))
    assert again["rc"] == 0, again
    assert again["stats"]["localhost"]["changed"] == 0
    assert fresh_moto.mutating_calls() == []
    outputs = again["tasks"]["Report the database outputs"]["database_outputs"]
    assert outputs["secret_arn"] == arn and outputs["endpoint"] == db["Endpoint"]["Address"]
    assert outputs["multi_az"] is True and outputs["storage_encrypted"] is True and outputs["backup_retention_days"] == 7
    assert CANARY not in json.dumps(again)

    # absent without the confirmation: refused by the validation step, nothing deleted.
    refused = ansible.playbook(write_playbook(tmp_path, {"database_state": "absent"}))
    assert refused["rc"] != 0 and "database_confirm_delete" in json.dumps(refused)
    assert len(fresh_moto.client("rds").describe_db_instances()["DBInstances"]) == 1


def test_role_refuses_a_plain_password_without_repeating_it(fresh_moto, ansible, tmp_path):
    log = tmp_path / "ansible.log"
    proc = run_verbose(ansible, write_playbook(tmp_path, {"database_master_password": CANARY}), log)
    assert proc.returncode != 0
    assert "database_master_password: refused" in proc.stdout
    for output in (proc.stdout, proc.stderr, log.read_text()):
        assert CANARY not in output
    assert fresh_moto.calls() == []  # refused before any AWS call


def test_role_refuses_bad_settings_naming_the_variable(fresh_moto, ansible, tmp_path):
    result = ansible.playbook(write_playbook(tmp_path, {"database_multi_az": False, "database_backup_retention_days": 0, "database_allocated_storage": 5}))
    assert result["rc"] != 0
    text = json.dumps(result)
    for variable in ("database_multi_az", "database_backup_retention_days", "database_allocated_storage"):
        assert variable in text
    assert fresh_moto.calls() == []
