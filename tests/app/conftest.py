"""The trading app on loopback against a real PostgreSQL the tests start (Debian's postgresql package)."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab"))
sys.path.insert(0, str(REPO / "apps" / "backend" / "app"))

import appkit  # noqa: E402  (lab/appkit.py)


@pytest.fixture(scope="session")
def postgres():
    with appkit.Postgres() as pg:
        yield pg


@pytest.fixture
def database(postgres, request):
    """A fresh database for one test: the invariants are checked over all of it."""
    return postgres.new_database("t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50])


@pytest.fixture
def backends(database):
    """Two shared-book back-end instances on one database, as behind the internal load balancer."""
    started = [appkit.start_backend(database, "shared", instance="i-%s" % name) for name in ("a", "b")]
    yield started
    for backend in started:
        assert backend.stop() == 0, backend.output()[-2000:]


@pytest.fixture
def balancer(backends):
    return appkit.Alternate(backends)
