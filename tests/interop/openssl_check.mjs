// Verifies the signed lists (JWS signing input) and both COSE_Sign1 levels
// of a code (Sig_structure built by the third-party `cbor` package) with the
// openssl command-line tool:
//   Ed25519: openssl pkeyutl -verify -rawin
//   ES256:   raw r||s → DER, openssl dgst -sha256 -verify
//   SM2:     raw r||s → DER, openssl pkeyutl -verify -rawin -digest sm3
//            -pkeyopt distid:1234567812345678
// Each check is also run on a tampered input, which openssl must refuse.
//
//   node openssl_check.mjs --issuer D --alg A [--text CC1:...]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  SM2_USER_ID, algOf, b64url, base45, check, decodeCbor, decodeJwsPart, decodeSign1, main,
  parseArgs, pemToDer, rawPublicKey, rawToDer, readJws, sigStructure,
} from './lib.mjs';

const SPKI_PREFIX = {
  ed25519: Buffer.from('302a300506032b6570032100', 'hex'),
  es256: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
  sm2: Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex'),
};

function spkiPem(raw, alg) {
  const der = Buffer.concat([SPKI_PREFIX[alg], raw]);
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
}

let work;
let counter = 0;

// True when openssl says the signature verifies.
function opensslVerifies(alg, pemPath, message, signature) {
  const n = counter++;
  const input = join(work, `input-${n}`);
  const sig = join(work, `sig-${n}`);
  writeFileSync(input, message);
  writeFileSync(sig, alg === 'ed25519' ? signature : rawToDer(signature));
  let argv;
  if (alg === 'ed25519') {
    argv = ['pkeyutl', '-verify', '-pubin', '-inkey', pemPath, '-rawin', '-in', input, '-sigfile', sig];
  } else if (alg === 'es256') {
    argv = ['dgst', '-sha256', '-verify', pemPath, '-signature', sig, input];
  } else {
    argv = ['pkeyutl', '-verify', '-pubin', '-inkey', pemPath, '-rawin', '-digest', 'sm3',
      '-pkeyopt', `distid:${SM2_USER_ID}`, '-in', input, '-sigfile', sig];
  }
  try {
    const out = execFileSync('openssl', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    check(/Verified OK|Signature Verified Successfully/.test(out), `openssl said: ${out}`);
    return true;
  } catch (e) {
    if (e instanceof Error && 'status' in e && e.status !== null) return false;
    throw e;
  }
}

function checkWithOpenssl(alg, pemPath, message, signature, what) {
  check(opensslVerifies(alg, pemPath, message, signature),
    `${what}: openssl does not verify the ${alg} signature`);
  const tampered = Buffer.from(message);
  tampered[tampered.length >> 1] ^= 1;
  check(!opensslVerifies(alg, pemPath, tampered, signature), `${what}: openssl accepted a tampered message`);
}

main('openssl_check', async () => {
  const args = parseArgs(process.argv.slice(2));
  const alg = algOf(args.alg);
  work = mkdtempSync(join(tmpdir(), 'citycode-openssl-'));
  try {
    const rootPem = join(args.issuer, 'root.pem');
    const rootSpki = pemToDer(readFileSync(rootPem, 'utf8'));
    rawPublicKey(rootSpki, alg);

    // --- Lists: the JWS signing input is ASCII(protected "." payload).
    for (const name of ['trust.json', 'revoked.json']) {
      const jws = readJws(join(args.issuer, name));
      const signature = b64url(jws.signature);
      check(signature.length === 64, `${name}: signature is not 64 raw bytes`);
      checkWithOpenssl(alg, rootPem, Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii'),
        signature, name);
    }

    if (!args.text) return;
    // --- Code: both Sig_structures.
    const bytes = Buffer.from(base45.decode(args.text.slice(4)));
    const pres = decodeSign1(bytes, 'presentation');
    const credentialBytes = decodeCbor(pres.payload, 'presentation payload').get(1);
    const cred = decodeSign1(credentialBytes, 'credential');
    const kid = cred.header.get(4).toString('hex');
    const trust = decodeJwsPart(readJws(join(args.issuer, 'trust.json')).payload);
    const entry = trust.keys.find((k) => k.kid === kid);
    check(entry, `no trust.json key has kid ${kid}`);
    const issuerPem = join(work, 'issuer.pem');
    writeFileSync(issuerPem, `-----BEGIN PUBLIC KEY-----\n${entry.public_key}\n-----END PUBLIC KEY-----\n`);
    checkWithOpenssl(alg, issuerPem, sigStructure(cred.protectedBytes, cred.payload), cred.signature,
      'credential');

    const coseKey = decodeCbor(cred.payload, 'claims').get(8).get(1);
    const x = coseKey.get(-2);
    const raw = alg === 'ed25519' ? x : Buffer.concat([Buffer.from([4]), x, coseKey.get(-3)]);
    const devicePem = join(work, 'device.pem');
    writeFileSync(devicePem, spkiPem(raw, alg));
    checkWithOpenssl(alg, devicePem, sigStructure(pres.protectedBytes, pres.payload), pres.signature,
      'presentation');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
