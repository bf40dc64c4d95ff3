#!/usr/bin/env bash
# The GitHub Actions security audit: zizmor (pinned, from PyPI, in its own virtual environment),
# offline, over the composite action, the workflows and the example workflows. Any finding fails.
# A justified exception is an inline `# zizmor: ignore[<audit>]` comment with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."

ZIZMOR_VERSION=1.32.0
venv="${ZIZMOR_VENV:-target/tools/zizmor-$ZIZMOR_VERSION}"
if [ "$("$venv/bin/zizmor" --version 2>/dev/null)" != "zizmor $ZIZMOR_VERSION" ]; then
  echo "installing zizmor $ZIZMOR_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "zizmor==$ZIZMOR_VERSION"
fi

# The examples are named one by one: given as a directory, zizmor only collects
# `.github/workflows/` and `action.yml` files under it, and would skip them silently.
shopt -s nullglob
examples=(examples/github/*.yml examples/github/*.yaml)
"$venv/bin/zizmor" --offline --strict-collection --no-progress \
  action.yml .github/workflows/ .github/dependabot.yml "${examples[@]}"
