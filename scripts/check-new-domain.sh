#!/usr/bin/env bash
# CI for `pnpm new:domain`: in a scratch clone of the current commit (the working tree is never
# touched), check that taken and invalid names are refused with exit code 2 and nothing written,
# then generate a domain and run the generated app's typecheck, lint and tests, then the contracts'
# generated-file check and the stack's typecheck (the fork holds together). Prints the time
# of generate + tests (the goal is under 60 s on 2 cores) and of the whole check.
#
#   bash scripts/check-new-domain.sh [name]     (default: demo; needs node 24 and pnpm on PATH)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-demo}
now() { date +%s%N; }
seconds() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e9 }'; }
began=$(now)

scratch=$(mktemp -d /tmp/tessera-new-domain.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
git clone --quiet "$repo" "$scratch/repo"
cd "$scratch/repo"
pnpm install --frozen-lockfile --prefer-offline >"$scratch/install.log" 2>&1 || { cat "$scratch/install.log"; exit 1; }

refused() {
  local code=0
  node scripts/new-domain.mjs "$@" 2>"$scratch/refusal.log" >/dev/null || code=$?
  if [ "$code" != 2 ] || [ -n "$(git status --porcelain)" ]; then
    echo "new:domain $* should have been refused with exit code 2, writing nothing (got $code)"
    cat "$scratch/refusal.log"
    git status --short
    exit 1
  fi
  echo "refused as expected: $(cat "$scratch/refusal.log")"
}
refused crm
refused learning
refused order
refused Not-A-Name
refused

generate_started=$(now)
pnpm new:domain "$name" >"$scratch/generate.log" 2>&1 || { cat "$scratch/generate.log"; exit 1; }
generated=$(now)

cd "apps/$name"
pnpm typecheck
pnpm lint
checked=$(now)
pnpm test
tested=$(now)

# The rest of the fork still holds together: generated files current, the stack that mounts it types.
cd ../..
pnpm --filter @tessera/contracts check
(cd apps/stack && pnpm typecheck)

echo
echo "new:domain $name: generate $(seconds $((generated - generate_started))) s, typecheck + lint $(seconds $((checked - generated))) s, tests $(seconds $((tested - checked))) s"
echo "new:domain $name: generate + tests $(seconds $((generated - generate_started + tested - checked))) s (goal < 60 s); whole check $(seconds $(($(now) - began))) s"
