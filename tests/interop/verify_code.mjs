// Takes a CC1 code apart and verifies both COSE_Sign1 levels with third-party
// code only: `base45` for the text, `cbor` for decoding and the Sig_structure,
// cose-js `sign.verify` where it knows the alg (ES256), and @noble/curves
// (Ed25519, P-256) or sm-crypto (SM2) on the raw signatures. The credential
// key comes from trust.json, matched by kid; the device key from the
// credential's cnf COSE_Key.
//
//   node verify_code.mjs --text CC1:... --trust D/trust.json --alg A
//        --credential CRED.cbor --cti HEX --t UNIX --n N --scenes 2,4
//        --channel N [--rider N] [--iss ID] [--device-key KEY.pem]
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

import {
  COSE_ALG, CheckError, SM2_USER_ID, algOf, base45, check, checkDeterministic, coseJsVerify, decodeCbor,
  decodeJwsPart, decodeSign1, equalBytes, kidOf, main, parseArgs, rawPublicKey, readJws,
  sigStructure, sm2, verifyRawStrict,
} from './lib.mjs';

const QR_ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

// Claim labels (RFC 8392, RFC 8747, DESIGN.md private-use labels).
const ISS = 1, SUB = 2, EXP = 4, IAT = 6, CTI = 7, CNF = 8;
const SCENES = -65537, CHANNEL = -65538, RIDER = -65539;

function isUint(v) {
  return (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n);
}

// COSE_Key (RFC 9052 §7, RFC 9053 §7) → the raw public key for verifyRaw.
function deviceKeyFromCoseKey(key, alg) {
  check(key instanceof Map, 'cnf COSE_Key is not a map');
  const kty = key.get(1), crv = key.get(-1), x = key.get(-2), y = key.get(-3);
  check(Buffer.isBuffer(x) && x.length === 32, 'COSE_Key x is not 32 bytes');
  if (alg === 'ed25519') {
    check(kty === 1, `COSE_Key kty ${kty}, expected 1 (OKP)`);
    check(crv === 6, `COSE_Key crv ${crv}, expected 6 (Ed25519)`);
    check(!key.has(-3), 'OKP COSE_Key has a y');
    return { raw: x, x, y: null };
  }
  check(kty === 2, `COSE_Key kty ${kty}, expected 2 (EC2)`);
  const expectedCrv = alg === 'es256' ? 1 : -65537;
  check(crv === expectedCrv, `COSE_Key crv ${crv}, expected ${expectedCrv}`);
  check(Buffer.isBuffer(y) && y.length === 32, 'COSE_Key y is not 32 bytes (compressed points are not expected)');
  return { raw: Buffer.concat([Buffer.from([4]), x, y]), x, y };
}

main('verify_code', async () => {
  const args = parseArgs(process.argv.slice(2));
  const alg = algOf(args.alg);

  // --- QR text and Base45
  const text = args.text;
  check(text.startsWith('CC1:'), `code text does not start with CC1: ${text.slice(0, 10)}`);
  check(QR_ALPHANUMERIC.test(text), 'code text is not all QR alphanumeric characters');
  const b45 = text.slice(4);
  let bytes;
  try {
    bytes = Buffer.from(base45.decode(b45));
  } catch (e) {
    throw new CheckError(`base45 package cannot decode the code: ${e.message}`);
  }
  check(base45.encode(bytes) === b45, 'base45 package re-encodes the bytes to another text');

  // --- Presentation
  const pres = decodeSign1(bytes, 'presentation');
  checkDeterministic(bytes, 'presentation');
  checkDeterministic(pres.protectedBytes, 'presentation protected header');
  check(pres.header.get(1) === COSE_ALG[alg],
    `presentation alg ${pres.header.get(1)}, expected ${COSE_ALG[alg]}`);
  check(pres.unprotected.size === 0, 'presentation unprotected header is not empty');
  check(pres.signature.length === 64, `presentation signature is ${pres.signature.length} bytes, not 64`);
  const fields = decodeCbor(pres.payload, 'presentation payload');
  checkDeterministic(pres.payload, 'presentation payload');
  check(fields instanceof Map, 'presentation payload is not a map');
  for (const label of fields.keys()) check([1, 2, 3, 4].includes(label), `presentation payload has label ${label}`);
  const credentialBytes = fields.get(1);
  check(Buffer.isBuffer(credentialBytes), 'presentation field 1 (credential) is not a bstr');
  check(isUint(fields.get(2)) && isUint(fields.get(3)), 'presentation t or n is not a uint');
  if (args.t) check(Number(fields.get(2)) === Number(args.t), `t is ${fields.get(2)}, expected ${args.t}`);
  if (args.n) check(Number(fields.get(3)) === Number(args.n), `n is ${fields.get(3)}, expected ${args.n}`);
  if (args.credential) {
    check(equalBytes(credentialBytes, readFileSync(args.credential)),
      'the credential inside the presentation is not the file credential issue wrote');
  }

  // --- Credential
  const cred = decodeSign1(credentialBytes, 'credential');
  checkDeterministic(credentialBytes, 'credential');
  checkDeterministic(cred.protectedBytes, 'credential protected header');
  check(cred.header.get(1) === COSE_ALG[alg], `credential alg ${cred.header.get(1)}, expected ${COSE_ALG[alg]}`);
  const kid = cred.header.get(4);
  check(Buffer.isBuffer(kid) && kid.length === 8, 'credential kid is not 8 bytes in the protected header');
  check(cred.signature.length === 64, `credential signature is ${cred.signature.length} bytes, not 64`);
  const claims = decodeCbor(cred.payload, 'credential claims');
  checkDeterministic(cred.payload, 'credential claims');
  check(claims instanceof Map, 'credential claims are not a map');
  for (const label of claims.keys()) {
    check([ISS, SUB, EXP, IAT, CTI, CNF, SCENES, CHANNEL, RIDER].includes(label), `unexpected claim ${label}`);
  }
  check(typeof claims.get(ISS) === 'string', 'iss is not text');
  if (args.iss) check(claims.get(ISS) === args.iss, `iss ${claims.get(ISS)}, expected ${args.iss}`);
  check(Buffer.isBuffer(claims.get(SUB)) && claims.get(SUB).length === 16, 'sub is not 16 bytes');
  check(Buffer.isBuffer(claims.get(CTI)) && claims.get(CTI).length === 16, 'cti is not 16 bytes');
  if (args.cti) check(claims.get(CTI).toString('hex') === args.cti, `cti ${claims.get(CTI).toString('hex')}, expected ${args.cti}`);
  check(isUint(claims.get(EXP)) && isUint(claims.get(IAT)), 'exp or iat is not a uint');
  const iat = Number(claims.get(IAT)), exp = Number(claims.get(EXP));
  check(exp > iat, 'exp is not after iat');
  check(Math.abs(iat - Date.now() / 1000) < 3600, `iat ${iat} is not about now`);
  const scenes = claims.get(SCENES);
  check(Array.isArray(scenes) && scenes.length > 0 && scenes.every(isUint), 'scenes is not a list of uints');
  if (args.scenes) check(scenes.join(',') === args.scenes, `scenes ${scenes}, expected ${args.scenes}`);
  check(isUint(claims.get(CHANNEL)), 'channel is not a uint');
  if (args.channel) check(claims.get(CHANNEL) === Number(args.channel), `channel ${claims.get(CHANNEL)}, expected ${args.channel}`);
  if (args.rider) check(claims.get(RIDER) === Number(args.rider), `rider ${claims.get(RIDER)}, expected ${args.rider}`);
  const cnf = claims.get(CNF);
  check(cnf instanceof Map && cnf.size === 1 && cnf.has(1), 'cnf is not {1: COSE_Key}');
  const device = deviceKeyFromCoseKey(cnf.get(1), alg);
  if (args['device-key']) {
    let spki = null;
    try {
      spki = createPublicKey(createPrivateKey(readFileSync(args['device-key']))).export({ type: 'spki', format: 'der' });
    } catch (e) {
      check(alg === 'sm2', `device key does not load: ${e.message}`);
    }
    if (spki) check(equalBytes(rawPublicKey(spki, alg), device.raw), 'cnf is not the device key');
  }

  // --- The credential key: trust.json entry with this kid (the list's own
  // signature is checked by verify_lists.mjs).
  const trust = decodeJwsPart(readJws(args.trust).payload);
  const matches = trust.keys.filter((k) => k.kid === kid.toString('hex'));
  check(matches.length >= 1, `no trust.json key has kid ${kid.toString('hex')}`);
  let verified = false;
  for (const entry of matches) {
    const spki = Buffer.from(entry.public_key, 'base64');
    check(equalBytes(kidOf(spki), kid), 'trust.json kid is not SHA-256(SPKI)[0:8]');
    const issuerKey = rawPublicKey(spki, alg);
    verifyRawStrict(alg, issuerKey, sigStructure(cred.protectedBytes, cred.payload), cred.signature,
      'credential');
    if (alg === 'es256') {
      await coseJsVerify(credentialBytes, issuerKey.subarray(1, 33), issuerKey.subarray(33), cred.payload, 'credential');
    }
    verified = true;
  }
  check(verified, 'credential not verified');

  // --- The presentation, with the device key from cnf.
  verifyRawStrict(alg, device.raw, sigStructure(pres.protectedBytes, pres.payload), pres.signature,
    'presentation');
  if (alg === 'es256') await coseJsVerify(bytes, device.x, device.y, pres.payload, 'presentation');
  if (alg === 'sm2') {
    const tbs = new Uint8Array(sigStructure(pres.protectedBytes, pres.payload));
    check(!sm2.doVerifySignature(tbs, pres.signature.toString('hex'), device.raw.toString('hex'),
      { der: false, hash: true, userId: '' }),
    'the SM2 presentation signature also verifies with an EMPTY user id');
    check(sm2.doVerifySignature(tbs, pres.signature.toString('hex'), device.raw.toString('hex'),
      { der: false, hash: true, userId: SM2_USER_ID }), 'SM2 presentation does not verify');
  }
  // The device key and the credential key are not the same key.
  check(!trust.keys.some((k) => equalBytes(rawPublicKey(Buffer.from(k.public_key, 'base64'), alg), device.raw)),
    'the device key is in the trust list');
});
