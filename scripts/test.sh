#!/usr/bin/env bash
# The tests: set up with the test extra, lint, then the default (fast) test run on 2 workers.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test,oracles
lint=(src tests)
[ -d benchmarks ] && lint+=(benchmarks)
.venv/bin/ruff check "${lint[@]}"
# two pytest workers on two cores: one BLAS/OpenMP thread each, or the pools oversubscribe the CPU
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
exec .venv/bin/python -m pytest -n 2 --timeout 600 "$@"
