// Shared helpers of the interop checks. Everything cryptographic here is
// third-party code (jose, cose-js, @noble/curves, sm-crypto, cbor, base45) or
// the openssl CLI; node's own crypto is used only for SHA-256 of key ids.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import * as jose from 'jose';

import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';

const require = createRequire(import.meta.url);
export const sm2 = require('sm-crypto').sm2;
export const cbor = require('cbor');
export const coseJs = require('cose-js');
export const base45 = require('base45');

export const SM2_USER_ID = '1234567812345678';

// COSE algorithm ids (RFC 9053; SM2 a private-use value, DESIGN.md).
export const COSE_ALG = { ed25519: -8, es256: -7, sm2: -65537 };
// JWS "alg" of the signed lists and the trust list's key "alg".
export const JOSE_ALG = { ed25519: 'EdDSA', es256: 'ES256', sm2: 'SM2SM3' };
export const TRUST_ALG = { ed25519: 'EdDSA', es256: 'ES256', sm2: 'SM2' };

export class CheckError extends Error {}

export function check(condition, message) {
  if (!condition) throw new CheckError(message);
}

export function equalBytes(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

// Runs `body` (may be async); exits 0 on success, 1 with a message on failure.
export async function main(name, body) {
  try {
    await body();
    console.log(`${name}: ok`);
  } catch (e) {
    console.error(`${name}: FAIL: ${e instanceof CheckError ? e.message : e.stack || e}`);
    process.exit(1);
  }
}

export function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    check(argv[i].startsWith('--') && i + 1 < argv.length, `bad argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  return args;
}

export function algOf(name) {
  check(name in COSE_ALG, `unknown algorithm ${name}`);
  return name;
}

// --- Keys ----------------------------------------------------------------

export function pemToDer(pem) {
  const m = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(pem);
  check(m, 'not a PUBLIC KEY PEM');
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

// SubjectPublicKeyInfo prefixes / curve OIDs.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const OID_EC_PUBLIC_KEY = Buffer.from('06072a8648ce3d0201', 'hex');
const OID_P256 = Buffer.from('06082a8648ce3d030107', 'hex');
const OID_SM2 = Buffer.from('06082a811ccf5501822d', 'hex');

// The raw public key inside an SPKI DER: Ed25519 the 32-byte key, EC the
// 65-byte uncompressed point 04||x||y. Checks the SPKI names the right curve.
export function rawPublicKey(spki, alg) {
  spki = Buffer.from(spki);
  if (alg === 'ed25519') {
    check(spki.length === 44 && spki.subarray(0, 12).equals(ED25519_SPKI_PREFIX),
      `not an Ed25519 SubjectPublicKeyInfo: ${spki.toString('hex')}`);
    return spki.subarray(12);
  }
  check(spki.length === 91 || spki.length === 89, `unexpected EC SPKI length ${spki.length}`);
  check(spki.includes(alg === 'es256' ? OID_P256 : OID_SM2),
    `SPKI does not name the ${alg === 'es256' ? 'P-256' : 'SM2'} curve: ${spki.toString('hex')}`);
  check(spki.includes(OID_EC_PUBLIC_KEY) || alg === 'sm2',
    `SPKI is not an id-ecPublicKey: ${spki.toString('hex')}`);
  const point = spki.subarray(spki.length - 65);
  check(point[0] === 0x04 && spki[spki.length - 66] === 0x00 && spki[spki.length - 67] === 0x42,
    'SPKI does not end with an uncompressed point');
  return point;
}

// First 8 bytes of SHA-256 of the SPKI DER (DESIGN.md).
export function kidOf(spki) {
  return createHash('sha256').update(spki).digest().subarray(0, 8);
}

// Third-party verification of a raw 64-byte signature over `message`.
//   ed25519: @noble/curves, strict RFC 8032 (no ZIP-215 leniency)
//   es256:   @noble/curves P-256, SHA-256 prehash, high-S allowed (OpenSSL
//            does not normalise S; COSE/JOSE do not require it)
//   sm2:     sm-crypto, SM3 over Z_A || message with the GM/T 0009 user id
export function verifyRaw(alg, publicKey, message, signature) {
  const msg = new Uint8Array(message);
  const sig = new Uint8Array(signature);
  if (sig.length !== 64) return false;
  switch (alg) {
    case 'ed25519':
      return ed25519.verify(sig, msg, new Uint8Array(publicKey), { zip215: false });
    case 'es256':
      return p256.verify(sig, msg, new Uint8Array(publicKey), { lowS: false, prehash: true });
    case 'sm2':
      return sm2.doVerifySignature(msg, Buffer.from(sig).toString('hex'),
        Buffer.from(publicKey).toString('hex'),
        { der: false, hash: true, userId: SM2_USER_ID });
    default:
      throw new CheckError(`unknown algorithm ${alg}`);
  }
}

// Verifies, and also checks that a one-bit change of the signature or of
// the message is refused (so a verifier that says yes to anything fails).
export function verifyRawStrict(alg, publicKey, message, signature, what) {
  check(verifyRaw(alg, publicKey, message, signature), `${what}: signature does not verify (${alg})`);
  const badSig = Buffer.from(signature);
  badSig[badSig.length - 1] ^= 1;
  check(!verifyRaw(alg, publicKey, message, badSig), `${what}: tampered signature accepted`);
  const badMsg = Buffer.from(message);
  badMsg[badMsg.length >> 1] ^= 1;
  check(!verifyRaw(alg, publicKey, badMsg, signature), `${what}: tampered message accepted`);
}

// Raw r||s → DER ECDSA-Sig-Value (for the openssl CLI).
export function rawToDer(signature) {
  const integer = (bytes) => {
    let b = Buffer.from(bytes);
    while (b.length > 1 && b[0] === 0 && !(b[1] & 0x80)) b = b.subarray(1);
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const body = Buffer.concat([integer(signature.subarray(0, 32)), integer(signature.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

// --- Signed lists (JWS, flattened JSON) -----------------------------------

export function readJws(path) {
  const jws = JSON.parse(readFileSync(path, 'utf8'));
  check(jws && typeof jws === 'object', `${path}: not a JSON object`);
  for (const field of ['protected', 'payload', 'signature']) {
    check(typeof jws[field] === 'string', `${path}: no "${field}" string`);
    check(/^[A-Za-z0-9_-]*$/.test(jws[field]), `${path}: "${field}" is not unpadded base64url`);
  }
  check(Object.keys(jws).every((k) => ['protected', 'payload', 'signature', 'header'].includes(k)),
    `${path}: unexpected members ${Object.keys(jws)}`);
  return jws;
}

export function b64url(text) {
  return Buffer.from(text, 'base64url');
}

export function decodeJwsPart(text) {
  return JSON.parse(b64url(text).toString('utf8'));
}

// --- CBOR / COSE --------------------------------------------------------

// Strict decoding of exactly one item (extra bytes or duplicate keys throw);
// maps always as Map so integer labels stay numbers.
export function decodeCbor(bytes, what) {
  try {
    return cbor.decodeFirstSync(Buffer.from(bytes), { preferMap: true, preventDuplicateKeys: true });
  } catch (e) {
    throw new CheckError(`${what}: third-party CBOR decoder refused it: ${e.message}`);
  }
}

// A tagged COSE_Sign1 → its four parts, checked for shape.
export function decodeSign1(bytes, what) {
  const item = decodeCbor(bytes, what);
  check(item instanceof cbor.Tagged && item.tag === 18, `${what}: not a CBOR tag 18 (COSE_Sign1)`);
  const parts = item.value;
  check(Array.isArray(parts) && parts.length === 4, `${what}: COSE_Sign1 is not a 4-array`);
  const [protectedBytes, unprotected, payload, signature] = parts;
  check(Buffer.isBuffer(protectedBytes), `${what}: protected header is not a bstr`);
  check(unprotected instanceof Map, `${what}: unprotected header is not a map`);
  check(Buffer.isBuffer(payload), `${what}: payload is not an attached bstr`);
  check(Buffer.isBuffer(signature), `${what}: signature is not a bstr`);
  const header = decodeCbor(protectedBytes, `${what} protected header`);
  check(header instanceof Map, `${what}: protected header is not a map`);
  return { protectedBytes, unprotected, payload, signature, header };
}

// Sig_structure (RFC 9052 §4.4) built by the third-party encoder.
export function sigStructure(protectedBytes, payload) {
  return cbor.encode(['Signature1', Buffer.from(protectedBytes), Buffer.alloc(0), Buffer.from(payload)]);
}

// Deterministic encoding check (RFC 8949 §4.2): re-encoding the decoded
// item canonically must give the same bytes.
export function checkDeterministic(bytes, what) {
  const again = cbor.encodeCanonical(decodeCbor(bytes, what));
  check(equalBytes(again, bytes),
    `${what} is not deterministic CBOR:\n  got       ${Buffer.from(bytes).toString('hex')}\n` +
    `  canonical ${again.toString('hex')}`);
}

// cose-js sign.verify of a tagged COSE_Sign1 with the EC2 key (x, y): it must
// return `expectedPayload`, and refuse the message with its last signature
// byte changed.
export async function coseJsVerify(message, x, y, expectedPayload, what) {
  let payload;
  try {
    payload = await coseJs.sign.verify(Buffer.from(message), { key: { x, y } });
  } catch (e) {
    throw new CheckError(`${what}: cose-js sign.verify refused it: ${e.message}`);
  }
  check(equalBytes(payload, expectedPayload), `${what}: cose-js returned another payload`);
  const tampered = Buffer.from(message);
  tampered[tampered.length - 1] ^= 1;
  let refused = false;
  try {
    await coseJs.sign.verify(tampered, { key: { x, y } });
  } catch {
    refused = true;
  }
  check(refused, `${what}: cose-js accepted a tampered signature`);
}

// --- Signed lists (JWS, flattened JSON serialization) ---------------------

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function checkTime(value, what) {
  check(typeof value === 'string' && RFC3339.test(value), `${what} is not RFC 3339: ${value}`);
  const ms = Date.parse(value);
  check(!Number.isNaN(ms), `${what} does not parse: ${value}`);
  return ms;
}

// Verifies one JWS with every third-party implementation that knows its alg;
// returns the payload object.
export async function verifyList(path, alg, rootPem, rootRaw, rootKid) {
  const jws = readJws(path);
  const header = decodeJwsPart(jws.protected);
  check(header.alg === JOSE_ALG[alg], `${path}: protected alg is ${header.alg}, expected ${JOSE_ALG[alg]}`);
  check(!('crit' in header), `${path}: unexpected crit header`);
  if ('kid' in header) {
    check(header.kid === rootKid.toString('hex'),
      `${path}: protected kid ${header.kid} is not the root key's ${rootKid.toString('hex')}`);
  }
  const signingInput = Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii');
  const signature = b64url(jws.signature);
  check(signature.length === 64, `${path}: signature is ${signature.length} bytes, not the raw 64`);

  let payloadBytes;
  if (alg === 'sm2') {
    // jose has no SM2: sm-crypto on the ASCII signing input, SM3 with Z_A of
    // the GM/T 0009 default user id, raw r||s.
    const ok = sm2.doVerifySignature(new Uint8Array(signingInput), signature.toString('hex'),
      rootRaw.toString('hex'), { der: false, hash: true, userId: SM2_USER_ID });
    check(ok, `${path}: sm-crypto does not verify the SM2SM3 signature with user id ${SM2_USER_ID}`);
    const emptyId = sm2.doVerifySignature(new Uint8Array(signingInput), signature.toString('hex'),
      rootRaw.toString('hex'), { der: false, hash: true, userId: '' });
    check(!emptyId, `${path}: the SM2 signature also verifies with an EMPTY user id`);
    payloadBytes = b64url(jws.payload);
  } else {
    const key = await jose.importSPKI(rootPem, JOSE_ALG[alg]);
    let result;
    try {
      result = await jose.flattenedVerify(jws, key, { algorithms: [JOSE_ALG[alg]] });
    } catch (e) {
      throw new CheckError(`${path}: jose.flattenedVerify refused it: ${e.code || ''} ${e.message}`);
    }
    check(result.protectedHeader.alg === JOSE_ALG[alg], `${path}: jose saw alg ${result.protectedHeader.alg}`);
    payloadBytes = Buffer.from(result.payload);
    // jose must refuse a changed payload (sanity of this check itself).
    const forged = { ...jws, payload: Buffer.from(`${payloadBytes.toString('utf8')} `).toString('base64url') };
    let refused = false;
    try {
      await jose.flattenedVerify(forged, key);
    } catch {
      refused = true;
    }
    check(refused, `${path}: jose accepted a changed payload`);
  }
  // Every list, every alg: @noble/curves (ed25519, P-256) or sm-crypto again,
  // with one-bit tampering refused.
  verifyRawStrict(alg, rootRaw, signingInput, signature, `${path} (raw)`);

  let payload;
  try {
    payload = JSON.parse(payloadBytes.toString('utf8'));
  } catch (e) {
    throw new CheckError(`${path}: payload is not JSON: ${e.message}`);
  }
  check(payload && typeof payload === 'object' && !Array.isArray(payload), `${path}: payload is not an object`);
  check(Number.isInteger(payload.version) && payload.version >= 1, `${path}: bad version ${payload.version}`);
  const issued = checkTime(payload.issued_at, `${path} issued_at`);
  const expires = checkTime(payload.expires_at, `${path} expires_at`);
  check(expires > issued, `${path}: expires_at is not after issued_at`);
  check(Math.abs(issued - Date.now()) < 3600e3, `${path}: issued_at ${payload.issued_at} is not about now`);
  return payload;
}
