"""The README's commands, as written, in a shell that `eval "$(make env)"` pointed at a lab endpoint.

Every `ansible-playbook` / `ansible-inventory` line of the README's sh blocks runs (placeholders in
<angle brackets> filled with the demo's values), in the README's order but teardown last, against a
moto this test starts; the shell gets no AWS setting but what `make env` prints.
"""

import os
import re
import shlex
import subprocess

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The README's placeholders, as a demo user fills them in.
PLACEHOLDERS = {"<registry>": "127.0.0.1:5001"}
RUNNABLE = ("ansible-playbook ", "ansible-inventory ")


def readme_commands():
    text = (REPO / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = line.split(" # ")[0].strip()
            if command.startswith(RUNNABLE) and command not in commands:
                commands.append(command)
    teardown = [command for command in commands if ".teardown" in command or "teardown.yml" in command]
    return [command for command in commands if command not in teardown] + teardown


def filled(command):
    for placeholder, value in PLACEHOLDERS.items():
        command = command.replace(placeholder, value)
    assert "<" not in command, "a placeholder the test does not know: %s" % command
    return command


def test_the_readme_names_the_commands_users_run():
    commands = readme_commands()
    assert any(command.startswith("ansible-playbook hatrading.aws.site") for command in commands)
    assert any(command.startswith("ansible-inventory -i playbooks/inventory/demo.hatrading_stack.yml") for command in commands)
    assert ".teardown" in commands[-1]
    assert 'eval "$(make env)"' in (REPO / "README.md").read_text()


def test_each_readme_command_works_as_written_after_make_env(fresh_moto, tmp_path):
    # A demo's state directory as `make demo` leaves it: the endpoint file and a live moto pid.
    (tmp_path / "endpoint").write_text(fresh_moto.url + "\n")
    (tmp_path / "moto.pid").write_text("%d\n" % os.getpid())  # moto runs in this process's thread
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_", "BOTO"))}
    env.update(DEMO_STATE_DIR=str(tmp_path), HOME=os.environ.get("HOME", "/root"), ANSIBLE_NOCOLOR="1")

    ran = []
    for command in readme_commands():
        script = 'set -e; eval "$(make -s env)"; %s' % filled(command)
        proc = subprocess.run(["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, "%s\n--- stdout\n%s\n--- stderr\n%s" % (command, proc.stdout[-3000:], proc.stderr[-3000:])
        ran.append((shlex.split(command)[1], proc.stdout))

    outputs = dict(ran)
    graph = outputs["-i"]  # ansible-inventory -i ... --graph
    assert "@tier_backend" in graph and "@tier_frontend" in graph, graph
    assert fresh_moto.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []  # torn down last
