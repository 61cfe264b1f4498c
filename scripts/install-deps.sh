#!/usr/bin/env bash
# Installs the Debian packages listed in deps/*.list (or in the list files given as arguments,
# e.g. bench/deps.list) that are not installed yet.
# Idempotent and silent when everything is present, so `make demo` and `make test`
# can call it every time on a fresh Debian 12 machine or a developer's laptop.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
lists=("$@")
((${#lists[@]} > 0)) || lists=("$here"/deps/*.list)
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${lists[@]}" | tr -d ' \t' | sort -u)
missing=()
for pkg in "${wanted[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0
echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Package lists may be absent on a fresh image; refresh them once before installing.
$sudo apt-get update -qq
# policy-rc.d keeps packages (unbound, nginx, ...) from starting system daemons that would hold our ports.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
