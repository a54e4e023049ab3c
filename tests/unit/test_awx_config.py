"""awx/controller_config.yml against the repository: playbooks exist, surveys ask for typed variables.

A survey variable must land in a typed option of the playbook: a role option itself (the roles'
meta/argument_specs.yml), or a value templated into one (a role's defaults, a role's vars in the
playbook, a hatrading.aws module's argument in the playbook, through at most one play variable),
and the survey's type must convert to that option's type.
"""

import ast
import importlib
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PREFIX = "hatrading.aws."
# What each survey type gives a playbook, and the option types that accept it.
COMPATIBLE = {
    "text": {"str", "path", "raw"},
    "textarea": {"str", "raw"},
    "password": {"str", "raw"},
    "integer": {"int", "float", "raw"},
    "float": {"float", "raw"},
    "multiplechoice": {"str", "raw", "bool"},
    "multiselect": {"list", "raw"},
}
BOOLEAN_WORDS = {"true", "false", "yes", "no"}


class UnsafeLoader(yaml.SafeLoader):
    """Reads Ansible's !unsafe tag (the injectors' templates are for AWX, not for the dispatch run)."""


UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
CONFIG = yaml.load((REPO / "awx" / "controller_config.yml").read_text(), Loader=UnsafeLoader)  # noqa: S506 (a SafeLoader)
TEMPLATES = CONFIG["controller_templates"]


def walk(node):
    """Every (key, value) pair in a YAML document, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def module_options(name):
    paths = list((REPO / "plugins" / "modules").rglob("%s.py" % name))
    assert paths, "module %s not found" % name
    for node in ast.parse(paths[0].read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
            doc = yaml.safe_load(node.value.value)
            options = {}
            # the collection's own doc fragments document options too (stack, state, tags), as ansible-doc shows them
            for fragment in doc.get("extends_documentation_fragment") or []:
                if fragment.startswith("hatrading.aws."):
                    found = importlib.import_module("ansible_collections.hatrading.aws.plugins.doc_fragments." + fragment.split(".")[2])
                    options.update(yaml.safe_load(found.ModuleDocFragment().DOCUMENTATION).get("options") or {})
            options.update(doc.get("options") or {})
            return options
    return {}


def playbook_parts(playbook):
    """(documents whose values may carry a survey variable, typed options by name) of a playbook."""
    plays = yaml.safe_load((REPO / playbook).read_text())
    roles, modules = set(), set()
    for key, value in walk(plays):
        if key in ("role", "name") and isinstance(value, str) and value.startswith(PREFIX) and (REPO / "roles" / value[len(PREFIX) :]).is_dir():
            roles.add(value[len(PREFIX) :])
        elif isinstance(key, str) and key.startswith(PREFIX) and not (REPO / "roles" / key[len(PREFIX) :]).is_dir():
            modules.add(key[len(PREFIX) :])
    documents, options = [plays], {}
    for role in roles:
        specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
        for entry_point in specs.values():
            options.update(entry_point.get("options") or {})
        defaults = REPO / "roles" / role / "defaults" / "main.yml"
        if defaults.exists():
            documents.append(yaml.safe_load(defaults.read_text()))
    for module in modules:
        options.update(module_options(module))
    return documents, options


def landing_options(variable, documents, options, depth=2):
    """The typed options a variable reaches: itself, or keys whose templated value reads it."""
    if variable in options:
        return [(variable, options[variable])]
    reads = re.compile(r"\{\{[^}]*\b%s\b" % re.escape(variable))
    found = []
    for document in documents:
        for key, value in walk(document):
            if isinstance(value, str) and reads.search(value) and key != variable:
                if key in options:
                    found.append((key, options[key]))
                elif depth > 1 and isinstance(key, str):
                    found += landing_options(key, documents, options, depth - 1)
    return found


def survey_questions():
    for template in TEMPLATES:
        for question in (template.get("survey_spec") or {}).get("spec", []):
            yield pytest.param(template, question, id="%s:%s" % (template["name"], question["variable"]))


@pytest.mark.parametrize("template", TEMPLATES, ids=[template["name"] for template in TEMPLATES])
def test_every_template_names_an_existing_playbook(template):
    assert (REPO / template["playbook"]).is_file(), template["playbook"]


def test_the_templates_cover_plan_deploy_audit_update_drill_and_teardown():
    by_playbook = {(template["playbook"], template["job_type"]) for template in TEMPLATES}
    assert {
        ("playbooks/site.yml", "check"),
        ("playbooks/site.yml", "run"),
        ("playbooks/audit.yml", "run"),
        ("playbooks/rolling_update.yml", "run"),
        ("playbooks/teardown.yml", "run"),
        ("playbooks/failover_drill.yml", "run"),
    } <= by_playbook


@pytest.mark.parametrize("template, question", list(survey_questions()))
def test_every_survey_variable_lands_in_a_typed_option_of_a_compatible_type(template, question):
    documents, options = playbook_parts(template["playbook"])
    landings = landing_options(question["variable"], documents, options)
    assert landings, "%s: no role option or module argument of %s takes it" % (question["variable"], template["playbook"])
    for option, spec in landings:
        option_type = spec.get("type", "str")
        assert option_type in COMPATIBLE[question["type"]], "%s (survey %s) lands in %s (%s)" % (question["variable"], question["type"], option, option_type)
        choices = [str(choice) for choice in question.get("choices") or []]
        if question["type"] == "multiplechoice" and option_type == "bool":
            assert set(choices) <= BOOLEAN_WORDS, choices
        elif choices and spec.get("choices"):
            assert set(choices) <= {str(choice) for choice in spec["choices"]}, (option, choices, spec["choices"])


def test_the_workflows_chain_deploy_to_audit_and_update_through_approval_to_rollout():
    workflows = {workflow["name"]: workflow["simplified_workflow_nodes"] for workflow in CONFIG["controller_workflows"]}
    names = {template["name"] for template in TEMPLATES}

    def chain(nodes):
        by_id = {node["identifier"]: node for node in nodes}
        node, order = nodes[0], []
        while node:
            job = node["unified_job_template"]
            order.append(job["type"] if isinstance(job, dict) else job)
            assert isinstance(job, dict) or job in names, job
            node = by_id.get((node.get("success_nodes") or [None])[0])
        return order

    assert chain(workflows["hatrading deploy then audit"]) == ["hatrading deploy", "hatrading audit"]
    assert chain(workflows["hatrading update, approve, roll out"]) == ["hatrading rolling update", "workflow_approval", "hatrading rolling update"]


def test_the_credential_type_assumes_a_role_through_an_aws_profile():
    (credential_type,) = CONFIG["controller_credential_types"]
    fields = {field["id"] for field in credential_type["inputs"]["fields"]}
    assert "role_arn" in credential_type["inputs"]["required"]
    injectors = credential_type["injectors"]
    assert injectors["env"]["AWS_CONFIG_FILE"] == "{{ tower.filename.config }}"
    assert injectors["env"]["AWS_PROFILE"] == "hatrading"
    used = set(re.findall(r"\{\{\s*(\w+)", injectors["file"]["template.config"] + " ".join(injectors["env"].values())))
    assert used - {"tower"} <= fields, used - fields
