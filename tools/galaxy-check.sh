#!/usr/bin/env bash
# make galaxy: the collection as Galaxy / Automation Hub receive it. Builds the tarball from this
# checkout (build_ignore must keep the lab, apps, bench, tools, molecule and caches out), runs
# galaxy-importer on it (0 errors required) and antsibull-docs lint on it installed in a clean path.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=tests/output/galaxy
rm -rf "$OUT"
mkdir -p "$OUT/build" "$OUT/stage" "$OUT/importer" "$OUT/collections/ansible_collections/amazon"

ansible-galaxy collection build --force --output-path "$OUT/build" . >/dev/null
TARBALL=$(ls "$OUT"/build/hatrading-aws-*.tar.gz)
echo "built $TARBALL ($(du -k "$TARBALL" | cut -f1) KiB, $(tar tzf "$TARBALL" | wc -l) entries)"
# Nothing of the lab, the tooling or a test run's leftovers in what users install.
if tar tzf "$TARBALL" | grep -E '^(lab|apps|bench|tools|ee|tests/lab|tests/output|awx|collections|\.venv[^/]*|\.lab|\.git|\.ci)(/|$)|/molecule/|__pycache__|\.pytest_cache|\.ruff_cache|(^|/)results(/|\.json|$)'; then
  echo "the tarball carries the paths above: add them to build_ignore in galaxy.yml" >&2
  exit 1
fi

# galaxy-importer requires `repository`; galaxy.yml leaves it out until the collection has a public
# home. Publishing: set it in galaxy.yml. Here: GALAXY_REPOSITORY, or this checkout as a file: URL.
REPOSITORY=${GALAXY_REPOSITORY:-file://$PWD}
tar xzf "$TARBALL" -C "$OUT/stage"
python - "$OUT/stage/MANIFEST.json" "$REPOSITORY" <<'PY'
import json, sys
path, repository = sys.argv[1:]
manifest = json.load(open(path))
manifest["collection_info"]["repository"] = repository
json.dump(manifest, open(path, "w"), indent=1)
PY
tar czf "$OUT/importer/$(basename "$TARBALL")" -C "$OUT/stage" .
echo "galaxy-importer (repository: $REPOSITORY) ..."
run_importer() { (cd "$OUT" && python -m galaxy_importer.main "importer/$(basename "$TARBALL")" >importer.log 2>&1) || true; }
run_importer
# The importer gives its ansible-lint run a fixed 180 s; on a loaded machine that can run out once.
if grep -q 'Timeout on call to ansible-lint' "$OUT/importer.log"; then
  echo "galaxy-importer: its ansible-lint run timed out (fixed 180 s; the machine is busy): once more"
  run_importer
fi
errors=$(grep -c '^ERROR' "$OUT/importer.log" || true)
warnings=$(grep -c '^WARNING' "$OUT/importer.log" || true)
grep -E '^(ERROR|WARNING)' "$OUT/importer.log" || true
echo "galaxy-importer: $errors error(s), $warnings warning(s) (log: $OUT/importer.log)"
grep -q 'Importer processing completed successfully' "$OUT/importer.log" && [[ $errors == 0 ]] || exit 1

# antsibull-docs resolves amazon.aws's doc fragments from the path the collection is installed in.
ansible-galaxy collection install --force --no-deps -p "$OUT/collections" "$TARBALL" >/dev/null
AMAZON_AWS=$(python -c 'import ansible_collections as c, os; print([p for p in c.__path__ if os.path.isdir(p + "/amazon/aws")][0] + "/amazon/aws")')
ln -sfn "$AMAZON_AWS" "$OUT/collections/ansible_collections/amazon/aws"
echo "antsibull-docs lint-collection-docs --plugin-docs ..."
(cd "$OUT/collections/ansible_collections/hatrading/aws" &&
  ANSIBLE_COLLECTIONS_PATH=$PWD/$OUT/collections antsibull-docs lint-collection-docs --plugin-docs .)
echo "antsibull-docs: no problem found"
