// Verifies an issuer directory's trust.json and revoked.json against its
// root.pem with third-party code: `jose` (flattenedVerify, importSPKI) for
// EdDSA and ES256, sm-crypto for SM2SM3, and @noble/curves for all raw
// signatures; then checks the payloads against DESIGN.md.
//
//   node verify_lists.mjs --issuer D --alg ed25519|es256|sm2
//                         [--revoked-cti HEX --revoked-version N]
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  TRUST_ALG, algOf, check, checkTime, kidOf, main, parseArgs, pemToDer, rawPublicKey, verifyList, verifyRaw,
} from './lib.mjs';

main('verify_lists', async () => {
  const args = parseArgs(process.argv.slice(2));
  const alg = algOf(args.alg);
  const dir = args.issuer;
  const rootPem = readFileSync(join(dir, 'root.pem'), 'utf8');
  const rootSpki = pemToDer(rootPem);
  const rootRaw = rawPublicKey(rootSpki, alg);
  const rootKid = kidOf(rootSpki);

  // --- trust.json
  const trust = await verifyList(join(dir, 'trust.json'), alg, rootPem, rootRaw, rootKid);
  check(trust.type === 'citycode-trust-list', `trust.json type is ${trust.type}`);
  check(typeof trust.issuer === 'string' && trust.issuer.length > 0, 'trust.json has no issuer');
  if (args.iss) check(trust.issuer === args.iss, `trust.json issuer ${trust.issuer}, expected ${args.iss}`);
  check(Array.isArray(trust.keys) && trust.keys.length >= 1, 'trust.json has no keys');
  for (const [i, entry] of trust.keys.entries()) {
    const what = `trust.json keys[${i}]`;
    check(entry.alg === TRUST_ALG[alg], `${what}: alg ${entry.alg}, expected ${TRUST_ALG[alg]}`);
    check(typeof entry.public_key === 'string' && /^[A-Za-z0-9+/]+=*$/.test(entry.public_key),
      `${what}: public_key is not base64`);
    const spki = Buffer.from(entry.public_key, 'base64');
    rawPublicKey(spki, alg);
    check(entry.kid === kidOf(spki).toString('hex'),
      `${what}: kid ${entry.kid} is not SHA-256(SPKI)[0:8] = ${kidOf(spki).toString('hex')}`);
    const nb = checkTime(entry.not_before, `${what} not_before`);
    const na = checkTime(entry.not_after, `${what} not_after`);
    check(na > nb, `${what}: not_after is not after not_before`);
  }
  // The listed key is the public half of signing.key (node's OpenSSL reads
  // the PKCS#8 PEM; for SM2 keys older node builds may not, so only if it can).
  const signingPem = readFileSync(join(dir, 'signing.key'), 'utf8');
  let signingSpki = null;
  try {
    signingSpki = createPublicKey(createPrivateKey(signingPem)).export({ type: 'spki', format: 'der' });
  } catch (e) {
    check(alg === 'sm2', `signing.key does not load: ${e.message}`);
  }
  if (signingSpki) {
    check(trust.keys.some((k) => Buffer.from(k.public_key, 'base64').equals(signingSpki)),
      'trust.json does not list the public key of signing.key');
  }
  check(!trust.keys.some((k) => Buffer.from(k.public_key, 'base64').equals(rootSpki)),
    'trust.json lists the root key itself as a credential key');

  // --- revoked.json
  const revoked = await verifyList(join(dir, 'revoked.json'), alg, rootPem, rootRaw, rootKid);
  check(revoked.type === 'citycode-revocation-list', `revoked.json type is ${revoked.type}`);
  check(Array.isArray(revoked.cti_sha256_128), 'revoked.json has no cti_sha256_128 list');
  for (const entry of revoked.cti_sha256_128) {
    check(typeof entry === 'string' && /^[0-9a-f]{32}$/.test(entry), `revoked.json entry ${entry} is not 32 hex digits`);
  }
  if (args['revoked-cti']) {
    const expected = createHash('sha256').update(Buffer.from(args['revoked-cti'], 'hex')).digest()
      .subarray(0, 16).toString('hex');
    check(revoked.cti_sha256_128.includes(expected),
      `revoked.json does not name SHA-256(cti)[0:16] = ${expected} of cti ${args['revoked-cti']}`);
    check(!revoked.cti_sha256_128.includes(args['revoked-cti']), 'revoked.json names the cti itself');
  } else {
    check(revoked.cti_sha256_128.length === 0, 'a fresh revoked.json is not empty');
  }
  if (args['revoked-version']) {
    check(revoked.version === Number(args['revoked-version']),
      `revoked.json version ${revoked.version}, expected ${args['revoked-version']}`);
  }
  // Sanity: a signature by the root key does not verify under a wrong key kind.
  check(!verifyRaw(alg, rootRaw, Buffer.from('x'), Buffer.alloc(64)), 'zero signature accepted');
});
