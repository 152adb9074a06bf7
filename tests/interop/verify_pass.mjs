// Takes a CV1 printed visitor pass apart and verifies it with third-party
// code only: `base45` for the text, `cbor` for decoding and the
// Sig_structure, cose-js `sign.verify` where it knows the alg (ES256), and
// @noble/curves (Ed25519, P-256) or sm-crypto (SM2) on the raw signature. The
// signing key comes from trust.json, matched by kid (the list's own signature
// is checked by verify_lists.mjs). Then the claims: exactly iss, exp, nbf,
// iat, cti, site and entries, and nothing that names a person.
//
//   node verify_pass.mjs --text CV1:... --trust D/trust.json --alg A
//        --iss ID --cti HEX --iat UNIX --nbf UNIX --exp UNIX --site S --entries N
//
// Exit 0 when the pass verifies and carries exactly these claims, 1 (with
// the reason on stderr) otherwise: a tampered pass must exit 1.
import {
  COSE_ALG, CheckError, algOf, base45, check, checkDeterministic, coseJsVerify, decodeCbor,
  decodeJwsPart, decodeSign1, equalBytes, kidOf, main, parseArgs, rawPublicKey, readJws,
  cbor, coseJs, sigStructure, verifyRaw, verifyRawStrict,
} from './lib.mjs';

const QR_ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

// Claim labels (RFC 8392; the pass's private-use labels, docs/VERIFIER.md).
const ISS = 1, EXP = 4, NBF = 5, IAT = 6, CTI = 7, SITE = -65540, ENTRIES = -65541;
const PASS_CLAIMS = [ISS, EXP, NBF, IAT, CTI, SITE, ENTRIES];

function isUint(v) {
  return (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n);
}

main('verify_pass', async () => {
  const args = parseArgs(process.argv.slice(2));
  const alg = algOf(args.alg);
  for (const name of ['text', 'trust', 'iss', 'cti', 'iat', 'nbf', 'exp', 'site', 'entries']) {
    check(name in args, `--${name} is required`);
  }

  // --- Text and Base45
  const text = args.text;
  check(text.startsWith('CV1:'), `pass text does not start with CV1: ${text.slice(0, 10)}`);
  check(QR_ALPHANUMERIC.test(text), 'pass text is not all QR alphanumeric characters');
  const b45 = text.slice(4);
  let bytes;
  try {
    bytes = Buffer.from(base45.decode(b45));
  } catch (e) {
    throw new CheckError(`base45 package cannot decode the pass: ${e.message}`);
  }
  check(base45.encode(bytes) === b45, 'base45 package re-encodes the bytes to another text');

  // --- COSE_Sign1 (tag 18)
  const pass = decodeSign1(bytes, 'pass');
  checkDeterministic(bytes, 'pass');
  checkDeterministic(pass.protectedBytes, 'pass protected header');
  check(pass.header.size === 2, `pass protected header has ${pass.header.size} parameters, not alg and kid`);
  check(pass.header.get(1) === COSE_ALG[alg], `pass alg ${pass.header.get(1)}, expected ${COSE_ALG[alg]}`);
  const kid = pass.header.get(4);
  check(Buffer.isBuffer(kid) && kid.length === 8, 'pass kid is not 8 bytes in the protected header');
  check(pass.unprotected.size === 0, 'pass unprotected header is not empty');
  check(pass.signature.length === 64, `pass signature is ${pass.signature.length} bytes, not 64`);

  // --- The signature, with every trust.json key of this kid.
  const trust = decodeJwsPart(readJws(args.trust).payload);
  check(trust.type === 'citycode-trust-list', `trust.json is a ${trust.type}`);
  const matches = trust.keys.filter((k) => k.kid === kid.toString('hex'));
  check(matches.length >= 1, `no trust.json key has kid ${kid.toString('hex')}`);
  const tbs = sigStructure(pass.protectedBytes, pass.payload);
  let signer = null;
  for (const entry of matches) {
    const spki = Buffer.from(entry.public_key, 'base64');
    check(equalBytes(kidOf(spki), kid), 'trust.json kid is not SHA-256(SPKI)[0:8]');
    const key = rawPublicKey(spki, alg);
    if (verifyRaw(alg, key, tbs, pass.signature)) signer = key;
  }
  check(signer !== null, `pass signature does not verify with the trust list's key (${alg})`);
  verifyRawStrict(alg, signer, tbs, pass.signature, 'pass');
  if (alg === 'es256') await coseJsVerify(bytes, signer.subarray(1, 33), signer.subarray(33), pass.payload, 'pass');

  // --- Claims: exactly the pass's own, so it is neither a credential nor a
  // presentation, and names no person (no sub, no cnf).
  const claims = decodeCbor(pass.payload, 'pass claims');
  checkDeterministic(pass.payload, 'pass claims');
  check(claims instanceof Map, 'pass claims are not a map');
  const labels = [...claims.keys()];
  check(labels.length === PASS_CLAIMS.length && PASS_CLAIMS.every((l) => claims.has(l)),
    `pass claims are ${labels.join(',')}, expected ${PASS_CLAIMS.join(',')}`);
  check(claims.get(ISS) === args.iss, `iss ${claims.get(ISS)}, expected ${args.iss}`);
  const cti = claims.get(CTI);
  check(Buffer.isBuffer(cti) && cti.length === 16, 'cti is not 16 bytes');
  check(cti.toString('hex') === args.cti, `cti ${cti.toString('hex')}, expected ${args.cti}`);
  for (const [label, name] of [[IAT, 'iat'], [NBF, 'nbf'], [EXP, 'exp']]) {
    check(isUint(claims.get(label)), `${name} is not a uint`);
    check(Number(claims.get(label)) === Number(args[name]), `${name} ${claims.get(label)}, expected ${args[name]}`);
  }
  check(Number(claims.get(NBF)) < Number(claims.get(EXP)), 'the window ends before it starts');
  const site = claims.get(SITE);
  check(typeof site === 'string' && /^[\x21-\x7e]{1,64}$/.test(site), `site ${site} is not 1 to 64 visible ASCII`);
  check(site === args.site, `site ${site}, expected ${args.site}`);
  const entries = claims.get(ENTRIES);
  check(isUint(entries) && entries >= 1 && entries <= 100, `entries ${entries} is not 1 to 100`);
  check(Number(entries) === Number(args.entries), `entries ${entries}, expected ${args.entries}`);

  // --- A copy with one more entry, re-encoded by the third-party encoder
  // under the same signature, is refused.
  const more = new Map(claims);
  more.set(ENTRIES, Number(entries) + 1);
  const forgedPayload = cbor.encodeCanonical(more);
  check(!verifyRaw(alg, signer, sigStructure(pass.protectedBytes, forgedPayload), pass.signature),
    'a copy with one more entry verifies');
  if (alg === 'es256') {
    const forged = cbor.encodeCanonical(new cbor.Tagged(18,
      [pass.protectedBytes, pass.unprotected, forgedPayload, pass.signature]));
    let refused = false;
    try {
      await coseJs.sign.verify(forged, { key: { x: signer.subarray(1, 33), y: signer.subarray(33) } });
    } catch {
      refused = true;
    }
    check(refused, 'cose-js accepted a copy with one more entry');
  }
});
