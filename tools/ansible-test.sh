#!/usr/bin/env bash
# ansible-test <command> (sanity, units, integration) the way its conventions want it: the collection
# at .../ansible_collections/hatrading/aws, offline. Runs on a copy of the files git knows (tracked or new).
#   tools/ansible-test.sh units          tests/unit (requirements: tests/unit/requirements.txt)
#   tools/ansible-test.sh integration    tests/integration/targets/* (the pytest suites: make integration)
set -euo pipefail
cd "$(dirname "$0")/.."
command=${1:?usage: tools/ansible-test.sh sanity|units|integration [ansible-test options]}
shift
repo=$PWD
export PATH=$repo/.venv/bin:$PATH
python_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test bootstraps pip in its own venvs from get-pip.py; this machine has no internet,
# so hand it one that uses the interpreter's ensurepip and then installs what it was asked for.
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
for name in get_pip_24_2.py get_pip_25_0.py get_pip_25_1.py; do
  cat >"$cache/$name" <<'PY'
import subprocess
import sys

subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True, stdout=subprocess.DEVNULL)
# get-pip.py options that pip install does not know are dropped.
args = [a for a in sys.argv[1:] if a not in ("--disable-pip-version-check", "--no-setuptools", "--no-wheel")]
if args:
    subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *args], check=True)
PY
done

work=$repo/tests/output/ansible-test-$command
dest=$work/ansible_collections/hatrading/aws
rm -rf "$work"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [[ -e $f ]] && printf '%s\0' "$f"
done | tar -c --null -T - -f - | tar -x -C "$dest" -f -
# amazon.aws (and friends) beside our collection, where the import test looks for them
site=$(python -c 'import ansible_collections.amazon.aws as m, os; print(os.path.dirname(os.path.dirname(list(m.__path__)[0])))')
for namespace in amazon community ansible; do
  [[ -d $site/$namespace ]] && ln -s "$site/$namespace" "$work/ansible_collections/$namespace"
done
cd "$dest"
git init -q . && git add -A >/dev/null  # ansible-test lists files through git
ansible-test "$command" --local --python "$python_version" --color no "$@"
