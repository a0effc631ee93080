#!/usr/bin/env bash
# CI for `pnpm new:domain`: in a scratch clone of the current commit (the working tree is never
# touched), check that taken and invalid names are refused with exit code 2 and nothing written,
# then generate a domain and run the generated app's typecheck, lint and tests, then the contracts'
# generated-file check (flows included), the stack's typecheck and the stack's tests of a mounted
# domain: every mounted app has a main.ts (TestingDocs), every flow has a test and every flow a test
# names is declared (FlowCoverage), the front door lists it (FrontDoor), its operations answer what
# their policies say (AuthMatrix), its OpenAPI document lints clean (OpenApiLint), `pnpm seed` runs
# its seed, twice (Seed), and the generated test across domains (apps/stack/test/<Domain>.flows.test.ts)
# in one process and as processes. (Fuzz.test.ts also picks the app up from Stack.apps; at ~40 s it
# is left to the full suite.) For the default name it also checks docs/testing.md's "Generator
# template" is that file, as generated.
# Prints the time of each part (generate + app tests: goal under 60 s on 2 cores) and of the whole.
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
refused service
refused dispatch
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
cd apps/stack
Domain="$(tr '[:lower:]' '[:upper:]' <<<"${name:0:1}")${name:1}"
flow_test="test/$Domain.flows.test.ts"
test -f "$flow_test" || { echo "new:domain did not write apps/stack/$flow_test"; exit 1; }
pnpm typecheck
pnpm exec biome check src/Stack.ts "$flow_test"
stack_checked=$(now)

# The stack's tests of a mounted domain; the flow test runs in both modes (TESSERA_TEST_MODE unset).
env -u TESSERA_TEST_MODE pnpm exec vitest run test/TestingDocs.test.ts test/FlowCoverage.test.ts test/FrontDoor.test.ts \
  test/AuthMatrix.test.ts test/OpenApiLint.test.ts test/Seed.test.ts "$flow_test" --reporter=verbose >"$scratch/stack-tests.log" 2>&1 || { cat "$scratch/stack-tests.log"; exit 1; }
sed 's/\x1b\[[0-9;]*m//g' "$scratch/stack-tests.log" | grep -E '^ +(✓|×|↓) |Test Files|Tests '
for mode in in-process processes; do
  grep -q "across domains ($mode) > flow $name.crm-contacts:" <(sed 's/\x1b\[[0-9;]*m//g' "$scratch/stack-tests.log") ||
    { echo "the flow test did not run in mode $mode"; exit 1; }
done
stack_tested=$(now)

# docs/testing.md shows the generated flow test for `demo`, character for character.
if [ "$name" = demo ]; then
  marker='<!-- generated: pnpm new:domain demo → apps/stack/test/Demo.flows.test.ts -->'
  awk -v marker="$marker" 'found && /^```$/ { exit } found == 2 { print } found == 1 { found = 2 } $0 == marker { found = 1 }' \
    ../../docs/testing.md >"$scratch/template.ts"
  diff -u "$scratch/template.ts" "$flow_test" ||
    { echo "docs/testing.md's Generator template is not what pnpm new:domain demo writes (diff above)"; exit 1; }
fi

echo
echo "new:domain $name: generate $(seconds $((generated - generate_started))) s, typecheck + lint $(seconds $((checked - generated))) s, tests $(seconds $((tested - checked))) s"
echo "new:domain $name: stack typecheck + lint + contracts check $(seconds $((stack_checked - tested))) s, stack tests $(seconds $((stack_tested - stack_checked))) s"
echo "new:domain $name: generate + tests $(seconds $((generated - generate_started + tested - checked))) s (goal < 60 s); whole check $(seconds $(($(now) - began))) s"
