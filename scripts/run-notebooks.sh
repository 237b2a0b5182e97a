#!/bin/sh
# Executes every notebook under notebooks/ headless and fails if any cell fails.
#
#   scripts/run-notebooks.sh            use the jupyter on PATH
#   PYTHON=/path/to/venv/bin/python scripts/run-notebooks.sh
#
# Needs the packages of notebooks/requirements.txt, e.g.
#   python3 -m venv /tmp/nb && /tmp/nb/bin/pip install -r notebooks/requirements.txt
#   PYTHON=/tmp/nb/bin/python scripts/run-notebooks.sh
# Every notebook loads its files through notebooks/hybridsim_results.py (imported from the
# notebook's own directory, which nbconvert makes the working directory).
# The notebooks read results/ (committed; see results/README.md) and never modify it: executed
# copies go to a temporary directory.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for nb in notebooks/*.ipynb; do
    # nbconvert exits non-zero when a cell raises; --execute runs with the notebook's own
    # directory as the working directory, so relative paths behave as in Jupyter.
    if "$PYTHON" -m jupyter nbconvert --to notebook --execute \
        --ExecutePreprocessor.timeout=600 --output-dir "$out" "$nb"; then
        echo "ok   $nb"
    else
        echo "FAIL $nb" >&2
        status=1
    fi
done
exit $status
