#!/usr/bin/env bash
# The whole suite. Installs what the tests need (as root: Debian's chromium and
# postfix), runs everything on SQLite, and runs it again on PostgreSQL when
# DATABASE_URL points there.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

scripts/system-packages.sh || echo "!! could not install system packages; browser and MTA tests will skip"

"$VENV/bin/ruff" check --no-cache .
"$VENV/bin/ruff" format --no-cache --check .
# Types: strict for the two pure libraries ([tool.mypy] in pyproject.toml).
"$VENV/bin/mypy" -p buzon.bounces -p buzon.smtpcodes

pg_url=${DATABASE_URL:-}
echo "== test suite on SQLite"
env -u DATABASE_URL "$VENV/bin/pytest" "$@"

case "$pg_url" in
  postgres://*|postgresql://*)
    echo "== test suite on PostgreSQL ($pg_url)"
    DATABASE_URL="$pg_url" "$VENV/bin/pytest" "$@"
    ;;
esac
