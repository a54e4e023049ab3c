"""Lab fixtures: the lab's engine (dockerd, registry, images), a throwaway stack in moto and in Docker.

Needs root and the Debian packages docker.io, docker-registry, debootstrap (see docs/lab.md).
The engine and registry are started if not running, and stopped at the end only if this
session started them. Images are built once per session (the Docker layer cache and the
base tarball under .lab/cache make that seconds when warm).
"""

import json
import time
import uuid

import pytest
from labkit import StackInMoto
from plane import engine  # lab/ is on sys.path (tests/conftest.py)


@pytest.fixture(scope="session")
def lab():
    started_engine = engine.start_engine()
    started_registry = engine.start_registry()
    began = time.monotonic()
    timings = engine.build_images(push=True)
    timings["total_s"] = round(time.monotonic() - began, 1)
    print("\nlab images: %s" % json.dumps(timings))
    yield timings
    if started_registry:
        engine.stop_registry()
    if started_engine:
        engine.stop_engine()


@pytest.fixture
def stack(lab):
    """A stack name of its own, and every container, the network and the volume of it removed afterwards."""
    name = "t%s" % uuid.uuid4().hex[:8]
    engine.ensure_network(name)
    yield name
    engine.remove_stack(name)


@pytest.fixture
def aws(fresh_moto, stack):
    return StackInMoto(fresh_moto, stack)
