#!/usr/bin/env bash
# Places a batch of orders against the running saga services and checks the saga's invariants.
# All the logic lives in scripts/test-saga.mjs; see its header for usage and environment variables.
set -euo pipefail

# The repository root, also when this script is called through a symlink or from another directory.
source="${BASH_SOURCE[0]}"
while [[ -L "$source" ]]; do
  dir="$(cd -P -- "$(dirname -- "$source")" && pwd)"
  source="$(readlink -- "$source")"
  [[ "$source" == /* ]] || source="$dir/$source"
done
root="$(cd -P -- "$(dirname -- "$source")" && pwd)"

exec node "$root/scripts/test-saga.mjs" "$@"
