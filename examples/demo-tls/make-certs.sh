#!/bin/sh
# Makes the demo's HTTPS certificates (examples/demo.toml, [[customers.certificates]]): a demo CA
# and one certificate per demo customer, valid for 10 years. DEMO ONLY: the private keys are
# published in this repository, so they protect nothing. Real certificates come from a real CA
# (e.g. ACME/Let's Encrypt) and their keys never enter a repository.
#   examples/demo-tls/make-certs.sh        # from the repository root; then curl with
#   curl --cacert examples/demo-tls/demo-ca.pem --resolve acme.cdn.example:443:127.0.1.2 \
#        https://acme.cdn.example/www.acme.example/
set -eu
cd "$(dirname "$0")"
banner="DEMO ONLY - this private key is published in the udn repository; never use it for anything real."
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.tmp"; { echo "$banner"; cat "$1.tmp"; } > "$1"; rm "$1.tmp"; }
key demo-ca.key
openssl req -x509 -new -key demo-ca.key -days 3650 -subj "/O=udn demo/CN=udn demo CA (not trusted anywhere)" -out demo-ca.pem
leaf() {  # stem, CN, SAN list
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -days 3650 -subj "/O=udn demo/CN=$2" -addext "subjectAltName=$3" \
        -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
        -CA demo-ca.pem -CAkey demo-ca.key -out "$1.pem"
}
leaf acme "acme.cdn.example" "DNS:acme.cdn.example"
leaf globex "*.globex.example" "DNS:*.globex.example"
rm -f demo-ca.srl demo-ca.key  # nothing else will be signed with it
