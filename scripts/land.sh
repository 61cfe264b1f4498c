#!/usr/bin/env bash
# Lands the current branch of a git worktree on main, keeping main green. Landings queue on a
# lock (one at a time), so no landing's build and tests are wasted because another one moved
# main meanwhile:
#   1. wait for the lock, 2. merge main into this branch, 3. build (ASan+UBSan, and the fuzz
#   targets) and run unit tests, the fuzz smoke run and system tests — all of `make test` —
#   4. fast-forward main to this branch.
# Usage (inside a worktree, everything committed): scripts/land.sh [pytest args...]
set -euo pipefail
main_checkout="${UDN_MAIN_CHECKOUT:-/work/main}"
branch="$(git rev-parse --abbrev-ref HEAD)"
[[ "$branch" != main ]] || { echo "land: run this on a feature branch in a worktree" >&2; exit 1; }
[[ -z "$(git status --porcelain --untracked-files=no)" ]] || { echo "land: commit your changes first" >&2; exit 1; }
exec 9>/tmp/udn-land.lock
echo "land: waiting for the landing queue..."
flock 9
git merge --no-edit main
make build-asan >/dev/null
make build-fuzz >/dev/null
make unit-test | tail -3
# The fuzz targets check invariants of the code they call (a handover's MAC, say): a change can
# break them without breaking a unit test, and CI runs them.
make fuzz-smoke | tail -1
# The whole report stays in a file: a failure that does not repeat can still be read afterwards.
report="/tmp/land-$branch-system-tests.log"
UDN_BIN="$PWD/build/asan/udn" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/system "$@" > "$report" 2>&1 \
    || { tail -3 "$report"; echo "land: system tests failed; the whole report: $report" >&2; exit 1; }
tail -3 "$report"
git merge-base --is-ancestor main HEAD || { echo "land: main moved outside the queue; run again" >&2; exit 1; }
git -C "$main_checkout" merge --ff-only "$branch"
echo "land: main is now $(git rev-parse --short HEAD)"
