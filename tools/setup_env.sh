#!/usr/bin/env bash
# Create .venv with the tested dependency set and mmbank installed
# (editable). Idempotent: re-running after a change to requirements/
# reinstalls, otherwise it returns at once. Everything installs as wheels.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${MMBANK_VENV:-.venv}
STAMP="$VENV/.mmbank-installed"
WANT=$(cat requirements/*.txt setup.cfg | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    exit 0
fi
echo "Setting up $VENV (about 2 minutes, 6 GB) ..."
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q -r requirements/runtime.txt \
    -r requirements/tests.txt
"$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
"$VENV/bin/python" -c "import mmbank; print('mmbank', mmbank.__version__, 'ready')"
echo "$WANT" > "$STAMP"
