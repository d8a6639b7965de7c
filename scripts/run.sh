#!/usr/bin/env bash
# The main job: set up, then run the quick benchmark suite (leaderboard + HTML report in runs/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dynlearn bench run --suite quick "$@"
