#!/usr/bin/env bash
# Third-party interoperability checks of citycode's CC1 codes and signed lists.
#
# Usage: run.sh CITYCODE_BINARY ALG CHECK     (CTest runs these)
#        run.sh --npm-ci-only                 (CTest fixture: install node_modules)
#   ALG    ed25519 | es256 | sm2
#   CHECK  lists    trust.json / revoked.json (also after a revocation) with
#                   jose (EdDSA, ES256), sm-crypto (SM2SM3), @noble/curves
#          openssl  the lists and both COSE_Sign1 levels of a code with the openssl CLI
#          cose     the code with base45, cbor, cose-js (ES256), @noble/curves, sm-crypto
#          qr       code make --png read back by zbarimg and ZXingReader, and by
#                   code verify --image; the QR version (Ed25519: at most 14)
#          all      every check
# Exit: 0 ok, 1 a check failed, 2 bad usage, 77 a needed tool is missing (skip).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
  printf 'run.sh: %s\n' "$*" >&2
  exit 1
}
skip() {
  printf 'run.sh: SKIP: %s\n' "$*" >&2
  exit 77
}
need() {
  local tool
  for tool; do command -v "$tool" >/dev/null 2>&1 || skip "$tool not found"; done
}

# npm ci when node_modules is missing or older than package-lock.json; one
# process at a time (flock on this directory).
ensure_node_modules() {
  need node npm
  local stamp=$here/node_modules/.package-lock.json
  if [[ -f $stamp && ! $here/package-lock.json -nt $stamp ]]; then return 0; fi
  if command -v flock >/dev/null 2>&1; then
    # shellcheck disable=SC2016  # expanded by the inner bash
    flock "$here" bash -c '
      cd "$1"
      if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
        npm ci --no-audit --no-fund >&2
      fi' _ "$here"
  else
    (cd "$here" && npm ci --no-audit --no-fund >&2)
  fi
  [[ -f $stamp ]] || die "npm ci did not install $here/node_modules"
}

if [[ ${1-} == --npm-ci-only ]]; then
  ensure_node_modules
  exit 0
fi
[[ $# -eq 3 ]] || {
  sed -n '4,16p' "${BASH_SOURCE[0]}" >&2
  exit 2
}
citycode=$1 alg=$2 check=$3
[[ -x $citycode ]] || die "$citycode is not an executable"
case $alg in ed25519 | es256 | sm2) ;; *) die "unknown algorithm $alg" ;; esac
case $check in lists | openssl | cose | qr | all) ;; *) die "unknown check $check" ;; esac
ensure_node_modules

work=$(mktemp -d "${TMPDIR:-/tmp}/citycode-interop.XXXXXX")
trap 'rm -rf "$work"' EXIT

# json FIELD: prints FIELD of the JSON object on stdin.
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }

# --- An issuer, a device, a credential and a code, all made by the CLI ---------
issuer=$work/issuer
"$citycode" issuer init --dir "$issuer" --alg "$alg" --id citycode:interop >/dev/null
"$citycode" device init --out "$work/device.pem" --alg "$alg"
issued=$("$citycode" credential issue --issuer "$issuer" --device-pub "$work/device.pem" \
  --scenes hotel,transit --channel wechat --rider student --out "$work/credential.cbor")
cti=$(json cti <<<"$issued")
[[ $cti =~ ^[0-9a-f]{32}$ ]] || die "credential issue printed cti '$cti'"
t=$(($(date +%s) + 1))
n=42
text=$("$citycode" code make --credential "$work/credential.cbor" --device-key "$work/device.pem" \
  --at "$t" --counter "$n" --png "$work/code.png")
[[ $text == CC1:* ]] || die "code make printed '$text'"
printf '%s code (%d characters): %s\n' "$alg" "${#text}" "$text"

# Our own verifier accepts it (so a third-party refusal below is not a bad code).
"$citycode" code verify --trust "$issuer/trust.json" --revoked "$issuer/revoked.json" \
  --scene transit --at "$t" "$text" >"$work/verify.json" ||
  die "citycode code verify refused its own code: $(cat "$work/verify.json")"

check_lists() {
  need node
  node "$here/verify_lists.mjs" --issuer "$issuer" --alg "$alg" --iss citycode:interop
  # After a revocation: version 2, naming SHA-256(cti)[0:16], still verifying.
  "$citycode" revoke --issuer "$issuer" --cti "$cti" >/dev/null
  node "$here/verify_lists.mjs" --issuer "$issuer" --alg "$alg" --iss citycode:interop \
    --revoked-cti "$cti" --revoked-version 2
}

check_openssl() {
  need node openssl
  node "$here/openssl_check.mjs" --issuer "$issuer" --alg "$alg" --text "$text"
}

check_cose() {
  need node
  node "$here/verify_code.mjs" --text "$text" --trust "$issuer/trust.json" --alg "$alg" \
    --credential "$work/credential.cbor" --device-key "$work/device.pem" --cti "$cti" \
    --t "$t" --n "$n" --scenes 2,4 --channel 2 --rider 2 --iss citycode:interop
}

check_qr() {
  need zbarimg ZXingReader od
  local png=$work/code.png zbar zxing zxing_text zxing_ec width version
  [[ -s $png ]] || die "code make --png wrote no $png"

  # zbarimg prints the text and a newline (and D-Bus noise on stderr).
  zbar=$(zbarimg --raw -q "$png" 2>/dev/null) || die "zbarimg found no QR code in $png"
  [[ $zbar == "$text" ]] || die "zbarimg read a different text:
  zbarimg: $zbar
  printed: $text"

  # ZXingReader -bytes writes exactly the symbol's bytes; the default output
  # has 'Text:       "..."' and 'EC Level:   M'.
  zxing=$(ZXingReader -format QRCode -bytes "$png") || die "ZXingReader failed on $png"
  [[ $zxing == "$text" ]] || die "ZXingReader -bytes read a different text:
  ZXingReader: $zxing
  printed:     $text"
  zxing_text=$(ZXingReader -format QRCode "$png" | sed -n 's/^Text: *"\(.*\)"$/\1/p')
  [[ $zxing_text == "$text" ]] || die "ZXingReader Text: line differs: $zxing_text"
  zxing_ec=$(ZXingReader -format QRCode "$png" | sed -n 's/^EC Level: *//p')
  [[ $zxing_ec == M ]] || die "QR error correction level is '$zxing_ec', DESIGN.md says M"

  # code verify --image reads the same PNG.
  "$citycode" code verify --trust "$issuer/trust.json" --at "$t" --image "$png" >"$work/image.json" ||
    die "code verify --image refused it: $(cat "$work/image.json")"
  [[ $(json valid <"$work/image.json") == true && $(json cti <"$work/image.json") == "$cti" ]] ||
    die "code verify --image: $(cat "$work/image.json")"

  # QR version from the PNG width (IHDR, big-endian at byte 16): 8 px per
  # module, 4 modules of quiet zone each side, 17 + 4 * version modules.
  width=$(od -An -tu1 -j16 -N4 "$png" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}')
  (((width / 8 - 8 - 17) % 4 == 0 && width % 8 == 0)) || die "PNG width $width is not a QR symbol at 8 px/module"
  version=$(((width / 8 - 8 - 17) / 4))
  printf 'QR version (%s, %d characters, EC M): %d (%dx%d px)\n' "$alg" "${#text}" "$version" "$width" "$width"
  if [[ $alg == ed25519 ]]; then
    ((version <= 14)) || die "an Ed25519 code needs QR version $version, more than 14"
  fi
}

case $check in
  lists) check_lists ;;
  openssl) check_openssl ;;
  cose) check_cose ;;
  qr) check_qr ;;
  all)
    check_openssl
    check_cose
    check_qr
    check_lists # last: it revokes the credential
    ;;
esac
printf 'interop %s %s: ok\n' "$check" "$alg"
