#!/usr/bin/env bash
# Run every role's molecule scenario against a moto server on a free loopback port (unless
# AWS_ENDPOINT_URL is set). Stops the moto it started, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# molecule keeps a scenario's state in ~/.ansible/tmp/molecule.<hash of the role directory's NAME>.default: every
# checkout's `eks` role shares one, and a state left "prepared" by another checkout's run made this run skip its
# prepare. Each scenario gets a fresh state directory of its own, removed at the end.
state_root=$(mktemp -d "${TMPDIR:-/tmp}/molecule-state.XXXXXX")
trap 'kill ${moto_pid:-} 2>/dev/null || true; rm -rf "$state_root"' EXIT
if [[ -z ${AWS_ENDPOINT_URL:-} ]]; then
  port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python lab/moto_server.py --port "$port" >"${TMPDIR:-/tmp}/molecule-moto.$$.log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/_lab/api-calls" >/dev/null && break; sleep 0.1; done  # up to 30 s on a busy machine
  curl -sf "http://127.0.0.1:$port/_lab/api-calls" >/dev/null || { echo "moto did not start on $port" >&2; exit 1; }
  export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
fi
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
export ANSIBLE_COLLECTIONS_PATH=$repo/.venv/collections
for scenario in roles/*/molecule/default; do
  role=${scenario%/molecule/default}
  echo "== molecule test: $role"
  (cd "$role" && MOLECULE_EPHEMERAL_DIRECTORY="$state_root/${role#roles/}" molecule test)
done
