#!/usr/bin/env bash
# The certificates of EdgePortal's mutual TLS between the portal and the agents, with openssl (EC P-256):
#   ca.crt / ca.key            the CA (ca.key: keep it offline; only ca.crt is deployed)
#   <node>.crt / <node>.key    each agent's certificate: serverAuth + clientAuth (its receive-only identity towards peers),
#                              CN and DNS SAN = the node name (as the portal's configuration names the node), IP SANs as given
#   portal.crt / portal.key    the portal's client certificate: clientAuth, CN and DNS SAN = edgeportal-portal
#
# Usage: tools/tls/make-certs.sh OUT_DIR NODE[=IP[,IP...]]...
#   e.g. tools/tls/make-certs.sh ./pki edge-1=10.0.0.11 edge-2=10.0.0.12
# Environment: CA_DAYS (default 1825), CERT_DAYS (default 90), PORTAL_NAME (default edgeportal-portal),
#   RENEW=1 to issue the leaf certificates again (rotation; the CA is kept), NEW_CA=1 to make a new CA (see docs/security.md).
# Idempotent: an existing CA is reused, existing leaf certificates are kept unless RENEW=1. Keys are written 0600.
set -euo pipefail

[[ $# -ge 1 ]] || { sed -n '2,14p' "$0" >&2; exit 2; }
out=$1; shift
ca_days=${CA_DAYS:-1825} days=${CERT_DAYS:-90} portal=${PORTAL_NAME:-edgeportal-portal}
mkdir -p "$out"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -s $out/ca.key || ${NEW_CA:-0} == 1 ]]; then
  [[ ${NEW_CA:-0} == 1 && -s $out/ca.crt ]] && cp "$out/ca.crt" "$out/ca-previous.crt"
  key "$out/ca.key"
  openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$ca_days" -subj "/CN=edgeportal-agents-ca" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out "$out/ca.crt"
  echo "made the CA $out/ca.crt"
fi

# issue NAME USAGES SANS
issue() {
  local name=$1 usages=$2 sans=$3 file=$out/$4
  if [[ -s $file.crt && ${RENEW:-0} != 1 ]]; then return; fi
  key "$file.key"
  openssl req -new -key "$file.key" -subj "/CN=$name" -out "$file.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\nauthorityKeyIdentifier=keyid\n' \
    "$usages" "$sans" >"$file.ext"
  openssl x509 -req -in "$file.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial -sha256 -days "$days" \
    -extfile "$file.ext" -out "$file.crt" 2>/dev/null
  rm -f "$file.csr" "$file.ext"
  echo "issued $file.crt ($name, $usages, $sans)"
}

for spec in "$@"; do
  node=${spec%%=*}
  [[ $node =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$ ]] || { echo "make-certs.sh: '$node' is not a node name" >&2; exit 2; }
  sans="DNS:$node"
  if [[ $spec == *=* ]]; then
    IFS=, read -ra ips <<<"${spec#*=}"
    for ip in "${ips[@]}"; do sans+=",IP:$ip"; done
  fi
  issue "$node" "serverAuth,clientAuth" "$sans" "$node"
done
issue "$portal" "clientAuth" "DNS:$portal" portal
chmod 644 "$out"/*.crt
