#!/usr/bin/env bash
# Lands the current branch of a git worktree on main, keeping main green:
#   1. merge main into this branch, 2. build (ASan+UBSan) and run unit + system tests,
#   3. fast-forward main to this branch under a lock; if main moved meanwhile, start again.
# Usage (inside a worktree, everything committed): scripts/land.sh [pytest args...]
set -euo pipefail
main_checkout="${UDN_MAIN_CHECKOUT:-/work/main}"
branch="$(git rev-parse --abbrev-ref HEAD)"
[[ "$branch" != main ]] || { echo "land: run this on a feature branch in a worktree" >&2; exit 1; }
[[ -z "$(git status --porcelain --untracked-files=no)" ]] || { echo "land: commit your changes first" >&2; exit 1; }
for attempt in 1 2 3 4 5; do
    git merge --no-edit main
    make build-asan >/dev/null
    make unit-test | tail -3
    UDN_BIN="$PWD/build/asan/udn" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/system "$@" | tail -3
    test "${PIPESTATUS[0]}" -eq 0
    exec 9>/tmp/udn-land.lock
    flock 9
    if git merge-base --is-ancestor main HEAD; then
        git -C "$main_checkout" merge --ff-only "$branch"
        echo "land: main is now $(git rev-parse --short HEAD)"
        exit 0
    fi
    flock -u 9
    echo "land: main moved during the tests (attempt $attempt); merging again"
done
echo "land: gave up after 5 attempts" >&2
exit 1
