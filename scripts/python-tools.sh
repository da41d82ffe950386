#!/usr/bin/env bash
# Installs the Python tools the tests use (cfn-lint, moto, aws-sam-translator, ...) into a
# project-local virtualenv, .venv/, so a fresh clone needs nothing by hand. Idempotent: it
# re-installs only when requirements change. Prints the venv's bin directory on its last line.
#
# `python-tools.sh checkov` does the same for checkov, in .venv/checkov/ from
# scripts/checkov-requirements.txt: checkov pins boto3 and friends to versions that conflict
# with aws-sam-cli's and moto's, so the two cannot share a venv.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
  "") venv="$root/.venv"; req="$root/scripts/python-requirements.txt" ;;
  checkov) venv="$root/.venv/checkov"; req="$root/scripts/checkov-requirements.txt" ;;
  *) echo "usage: python-tools.sh [checkov]" >&2; exit 2 ;;
esac
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv" >&2
fi
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  "$venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip >&2
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin"
