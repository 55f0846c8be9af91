#!/usr/bin/env bash
# Makes a self-signed certificate and its key for trying Ruche over TLS on
# this machine:
#
#   scripts/make-cert.sh [--rsa] [DIR]  writes DIR/cert.pem and DIR/key.pem
#                                       (DIR defaults to ./var/tls)
#   ruche serve --tls-cert DIR/cert.pem --tls-key DIR/key.pem
#
# The certificate names localhost, 127.0.0.1 and ::1 and lasts 30 days.  It
# is for local use and tests only: browsers warn about it until it is
# trusted by hand, and a public server needs one from a real authority
# (e.g. Let's Encrypt).  The key is a P-256 ECDSA key, or a 2048-bit RSA
# key with --rsa (for clients that only know RSA, and for tests of cipher
# suites that need an RSA certificate); it is readable by its owner only.
# Existing files are replaced.
set -euo pipefail

newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
usage=digitalSignature
if [[ ${1:-} == --rsa ]]; then
	newkey=(-newkey rsa:2048)
	usage=digitalSignature,keyEncipherment
	shift
fi
dir=${1:-./var/tls}
if [[ $dir == -* || $# -gt 1 ]]; then
	echo "usage: $0 [--rsa] [DIR]" >&2
	exit 2
fi
command -v openssl >/dev/null || {
	echo "$0: openssl not found (apt-get install openssl)" >&2
	exit 1
}
mkdir -p "$dir"
umask 077
tmp=$(mktemp -d "$dir/.make-cert.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 "${newkey[@]}" -nodes -sha256 -days 30 \
	-subj /CN=localhost \
	-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' \
	-addext 'basicConstraints=critical,CA:FALSE' \
	-addext "keyUsage=critical,$usage" \
	-addext 'extendedKeyUsage=serverAuth' \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/log" || {
	cat "$tmp/log" >&2
	exit 1
}
chmod 644 "$tmp/cert.pem"
# Renamed into place, so that a reader never sees half a file.
mv "$tmp/key.pem" "$dir/key.pem"
mv "$tmp/cert.pem" "$dir/cert.pem"
echo "$dir/cert.pem"
echo "$dir/key.pem"
