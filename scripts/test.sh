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
# Types, with the django-stubs plugin: strict for the two pure libraries, a little
# less for the Django apps ([tool.mypy] in pyproject.toml).
"$VENV/bin/mypy" -p buzon_bounces -p buzon
# Who may import whom (docs/architecture.md), as contracts in .importlinter.
"$VENV/bin/lint-imports" --no-cache
# Functions, methods, classes and properties nothing refers to (vulture, with an
# allow-list of Django's entry points).
"$VENV/bin/python" scripts/deadcode.py

# The bounce library on its own: its test run (its own pytest settings, no Django), then
# its wheel installed into a clean virtual environment, where Django is absent, reading
# a corpus file.
venv_dir=$(cd "$VENV" && pwd)
echo "== buzon-bounces: its own test run"
(cd packages/bounces && "$venv_dir/bin/pytest" -q)
echo "== buzon-bounces: the wheel in a clean venv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv_dir/bin/python" -m pip wheel -q --no-deps packages/bounces -w "$work/dist"
"$venv_dir/bin/python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-index --no-deps "$work"/dist/buzon_bounces-*.whl
"$work/venv/bin/python" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("django") is not None)' \
  || { echo "!! Django is importable in the clean venv"; exit 1; }
"$work/venv/bin/buzon-bounces" parse tests/bounces/corpus/sisimai/eml/lhost-postfix-02.eml --json \
  | "$work/venv/bin/python" -c '
import json, sys
records = [json.loads(line) for line in sys.stdin]
assert records and all(r["recipient"] and r["reason"] for r in records), records
print(f"buzon-bounces parse --json: {len(records)} records from the wheel, no Django")'

pg_url=${DATABASE_URL:-}
echo "== test suite on SQLite"
env -u DATABASE_URL "$VENV/bin/pytest" "$@"

case "$pg_url" in
  postgres://*|postgresql://*)
    echo "== test suite on PostgreSQL ($pg_url)"
    DATABASE_URL="$pg_url" "$VENV/bin/pytest" "$@"
    ;;
esac
