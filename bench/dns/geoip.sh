#!/usr/bin/env bash
# Cost of one GeoIP lookup as the GSLB fallback does it (bench/dns/geoip_lookup.cpp), on the
# database given (default: tests/unit/dns/data/geo.mmdb; pass a GeoLite2-City.mmdb for real
# figures: a bigger tree and bigger records). Usage: bench/dns/geoip.sh [FILE.mmdb] [LOOKUPS]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
g++ -O2 -std=c++20 -I"$repo/src" -o "$out/geoip_lookup" "$repo/bench/dns/geoip_lookup.cpp" \
    "$repo/src/dns/geo/database.cpp" "$repo/src/common/net/ip_address.cpp" -lmaxminddb -lfmt
cd "$repo"
uptime
taskset -c "${SERVER_CPU:-0}" "$out/geoip_lookup" "$@"
