"""core/stack_checks.py: what one tier opens, the next listens on; ha keeps two instances of each app tier."""

from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_checks import validate_stack


def stack(**changes):
    settings = {
        "profile": "ha",
        "network": {"database_port": 5432, "frontend_port": 8080, "backend_port": 8081, "internal_alb_port": 80, "alb_listener_ports": [80, 443]},
        "database": {"port": 5432},
        "compute": {
            "frontend_port": 8080,
            "backend_port": 8081,
            "internal_alb_port": 80,
            "listener_port": 80,
            "https_port": 443,
            "frontend_min_size": 2,
            "backend_min_size": 2,
        },
    }
    for tier, values in changes.items():
        settings[tier] = dict(settings[tier], **values) if isinstance(values, dict) else values
    return settings


def test_a_sound_stack_passes():
    assert validate_stack(stack()) == []


def test_a_database_port_the_network_does_not_open():
    assert validate_stack(stack(network={"database_port": 3306})) == [
        "database_port: 5432, but the database security group opens 3306 (network_database_port); give both the same port"
    ]


def test_an_app_port_the_network_does_not_open():
    errors = validate_stack(stack(compute={"frontend_port": 9090}))
    assert errors == ["compute_frontend_port: 9090, but the front-end security group opens 8080 (network_frontend_port); give both the same port"]


def test_a_listener_the_public_alb_does_not_open():
    assert validate_stack(stack(compute={"listener_port": 8000}))[0].startswith("compute_listener_port: 8000, but the public ALB's security group opens only")
    assert validate_stack(stack(network={"alb_listener_ports": [80]})) == []  # https_port only counts with a certificate
    assert validate_stack(stack(network={"alb_listener_ports": [80]}, compute={"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}))


def test_ha_refuses_a_single_instance_and_cost_allows_it():
    errors = validate_stack(stack(compute={"backend_min_size": 0, "frontend_min_size": 1}))
    assert [error.split(":")[0] for error in errors] == ["compute_frontend_min_size", "compute_backend_min_size"]
    assert validate_stack(stack(profile="cost", compute={"backend_min_size": 0, "frontend_min_size": 1})) == []


def test_absent_tiers_are_not_compared():
    assert validate_stack({"profile": "ha", "network": {"database_port": 3306}}) == []
