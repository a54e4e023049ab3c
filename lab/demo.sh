#!/usr/bin/env bash
# make demo / make down / make report. Starts moto on loopback unless AWS_ENDPOINT_URL is set,
# deploys the stack from playbooks/vars/demo.yml, prints the report. Stops only what it started.
# The moto it starts takes LAB_CLOCK=realistic, LAB_CLOCK_SCALE, LAB_LATENCY_MS from the environment
# (AWS's in-between states and durations / scale, per-call latency: lab/moto_clock.py, docs/lab.md).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${DEMO_STATE_DIR:-.lab}
PIDFILE=$STATE/moto.pid
ENDPOINT_FILE=$STATE/endpoint
VARS=${DEMO_VARS:-playbooks/vars/demo.yml}
STACK=$(python -c "import yaml,sys; print(yaml.safe_load(open('$VARS'))['hatrading_stack'])")
REGION=$(python -c "import yaml,sys; print(yaml.safe_load(open('$VARS')).get('hatrading_region', 'us-east-1'))")
mkdir -p "$STATE"

moto_running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start_moto() {
  if moto_running; then
    echo "moto already running (pid $(cat "$PIDFILE")) at $(cat "$ENDPOINT_FILE")"
    return
  fi
  local port=${MOTO_PORT:-5000}
  nohup python lab/moto_server.py --port "$port" --pidfile "$PIDFILE" >"$STATE/moto.log" 2>&1 &
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/_lab/api-calls" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/_lab/api-calls" >/dev/null || { echo "moto did not start: see $STATE/moto.log" >&2; exit 1; }
  echo "http://127.0.0.1:$port" >"$ENDPOINT_FILE"
  echo "moto server started on http://127.0.0.1:$port (pid $(cat "$PIDFILE"); MOTO_PORT sets the port)"
  echo "moto $(sed -n 's/^moto server on [^ ]* (\(.*\))$/\1/p' "$STATE/moto.log") (LAB_CLOCK, LAB_CLOCK_SCALE, LAB_LATENCY_MS set it)"
}

use_endpoint() {
  if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
    echo "using AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"
  else
    start_moto
    export AWS_ENDPOINT_URL
    AWS_ENDPOINT_URL=$(cat "$ENDPOINT_FILE")
    # moto accepts any credentials; real AWS never sees these (the endpoint is loopback).
    export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
  fi
  export AWS_DEFAULT_REGION=$REGION
}

use_endpoint_if_running() {
  if moto_running; then
    export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
    AWS_ENDPOINT_URL=$(cat "$ENDPOINT_FILE")
  fi
  export AWS_DEFAULT_REGION=$REGION
}

case ${1:-up} in
  up)
    use_endpoint
    start=$EPOCHREALTIME
    # site.yml ends with the report: printed, and written as reports/<stack>.html (architecture drawn)
    ansible-playbook playbooks/site.yml -e "@$VARS"
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "\ndeployed in %.1f s\n\n", b - a }'
    ansible-playbook playbooks/audit.yml -e "@$VARS"
    if [[ -z ${DEMO_NO_DATAPLANE:-} ]]; then
      # The lab's data plane: containers for the instances moto reports, haproxy for the ALBs.
      echo
      python lab/dataplane.py up --stack "$STACK" --region "$REGION"
    fi
    ;;
  report)
    use_endpoint
    ansible-playbook playbooks/report.yml -e "@$VARS"
    ;;
  down)
    if [[ -f $STATE/dockerd.pid ]]; then
      use_endpoint_if_running
      python lab/dataplane.py down --stack "$STACK" || echo "data plane: nothing more to stop"
    fi
    if moto_running; then
      pid=$(cat "$PIDFILE")
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "moto server (pid $pid) stopped"
    else
      echo "nothing to stop"
    fi
    rm -f "$PIDFILE" "$ENDPOINT_FILE"
    ;;
  env)
    # eval "$(make env)": this shell then talks to the running demo's endpoint, as the README's commands expect.
    if ! moto_running; then
      echo "no lab endpoint running: start one with make demo (or set AWS_ENDPOINT_URL yourself)" >&2
      exit 1
    fi
    printf 'export AWS_ENDPOINT_URL=%q\n' "$(cat "$ENDPOINT_FILE")"
    # moto accepts any credentials; these dummies never leave loopback.
    printf 'export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing\n'
    printf 'export AWS_REGION=%q AWS_DEFAULT_REGION=%q\n' "$REGION" "$REGION"
    # shellcheck disable=SC2016  # $PATH is for the shell that evals this, not for this one
    printf 'export ANSIBLE_CONFIG=%q PATH=%q:"$PATH"\n' "$PWD/ansible.cfg" "$PWD/.venv/bin"
    ;;
  *) echo "usage: $0 up|report|down|env" >&2; exit 2 ;;
esac
