#!/usr/bin/env bash
# make ee: the execution environment image hatrading/ee:<version> in the lab's Docker engine
# (LAB_DIR, default .lab, as lab/plane/engine.py), FROM the lab's Debian base. Docker's layer cache
# makes a rebuild with unchanged inputs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH
export LAB_DIR=${LAB_DIR:-$PWD/.lab}
export DOCKER_HOST=unix://$LAB_DIR/docker.sock DOCKER_BUILDKIT=0
VERSION=$(python -c "import yaml; print(yaml.safe_load(open('galaxy.yml'))['version'])")
IMAGE=${EE_IMAGE:-hatrading/ee:$VERSION}
started=$EPOCHREALTIME

# The engine (started only if not running) and the Debian base image (debootstrap once, cached).
python -c "import sys; sys.path.insert(0, 'lab'); from plane import engine; engine.start_engine(); engine.ensure_base_image()"

context=tests/output/ee-lab
rm -rf "$context" tests/output/ee-context
mkdir -p "$context/wheels" "$context/collections/ansible_collections/amazon"
# ansible-builder's own context, for its entrypoint script (and to show what a registry build runs).
ansible-builder create --file execution-environment.yml --context tests/output/ee-context >/dev/null
cp tests/output/ee-context/_build/scripts/entrypoint "$context/entrypoint"
cp ee/Containerfile.lab "$context/Containerfile"
core=$(python -c 'import ansible.release as r; print(r.__version__)')
pip download --quiet --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --platform any -d "$context/wheels" "ansible-core==$core" 'ansible-runner>=2.4,<3' -r requirements.txt 2>&1 | grep -v '^WARNING: Location' || true
amazon_aws=$(python -c 'import ansible_collections as c, os; print([p for p in c.__path__ if os.path.isdir(p + "/amazon/aws")][0] + "/amazon/aws")')
cp -r "$amazon_aws" "$context/collections/ansible_collections/amazon/aws"
find "$context/collections" -name __pycache__ -prune -exec rm -rf {} +

docker build -q -f "$context/Containerfile" -t "$IMAGE" "$context" >/dev/null
docker run --rm --entrypoint ansible-galaxy "$IMAGE" collection list amazon.aws 2>/dev/null | tail -1
docker run --rm "$IMAGE" ansible --version | head -1
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
awk -v a="$started" -v b="$EPOCHREALTIME" -v s="$size" -v i="$IMAGE" 'BEGIN { printf "%s built in %.1f s (%.0f MB)\n", i, b - a, s / 1e6 }'
