#!/usr/bin/env bash
# Runs every built fuzz target for a short, bounded time from its seed corpus (fuzz/seeds/<target>/),
# as part of `make test`. A crash, leak or sanitizer report fails the run.
set -euo pipefail
build_dir="${1:?usage: run-smoke.sh BUILD_DIR}"
seconds="${FUZZ_SECONDS:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
shopt -s nullglob
targets=("$build_dir"/fuzz/fuzz_*)
if ((${#targets[@]} == 0)); then echo "fuzz-smoke: no fuzz targets built in $build_dir" >&2; exit 1; fi
for target in "${targets[@]}"; do
    name="$(basename "$target")"; name="${name#fuzz_}"
    work="$(mktemp -d)"
    seeds=()
    [[ -d "$here/seeds/$name" ]] && seeds=("$here/seeds/$name")
    echo "fuzz-smoke: $name for ${seconds}s"
    if ! "$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=0 \
            -artifact_prefix="$work/" "$work" "${seeds[@]}" >"$work/log" 2>&1; then
        tail -40 "$work/log"; echo "fuzz-smoke: $name FAILED (artifacts in $work)" >&2; exit 1
    fi
    rm -rf "$work"
done
echo "fuzz-smoke: ${#targets[@]} targets ran clean"
