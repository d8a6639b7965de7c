#!/usr/bin/env bash
# Set up .venv for dynlearn on a machine with nothing but Python 3.11+ and pip.
# torch is installed first, pinned to the 2.13.0 CPU build: any other torch
# requirement would pull several GB of CUDA packages.
# Usage: bash scripts/setup.sh [EXTRAS]   e.g. EXTRAS=test
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-}
py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "creating .venv with $($py --version)"
    "$py" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
if ! .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
    echo "installing torch==2.13.0 (CPU build)"
    "${pip[@]}" "torch==2.13.0" 2>&1 | grep -v "^WARNING: Location" || true
fi
spec="."
[ -n "$extras" ] && spec=".[$extras]"
echo "installing dynlearn ($spec)"
"${pip[@]}" -e "$spec" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import dynlearn, torch; print('dynlearn', dynlearn.__version__, '| torch', torch.__version__)"
