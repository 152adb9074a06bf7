// Takes a CC1 printed card apart and verifies it with third-party code only:
// `base45` for the text, `cbor` for decoding and the Sig_structure, cose-js
// `sign.verify` where it knows the alg (ES256), and @noble/curves (Ed25519,
// P-256) or sm-crypto (SM2) on the raw signature. A card is the credential
// itself (no presentation around it), signed by a trust.json key matched by
// kid, with channel 4 (printed card) and no cnf: nothing a phone's key could
// sign.
//
//   node verify_card.mjs --text CC1:... --trust D/trust.json --alg A
//        --iss ID --cti HEX --iat UNIX --exp UNIX --scenes 1,2,5 [--rider N]
//
// Exit 0 when the card verifies and carries exactly these claims, 1 (with the
// reason on stderr) otherwise: a tampered card must exit 1.
import {
  COSE_ALG, CheckError, algOf, base45, cbor, check, checkDeterministic, coseJs, coseJsVerify,
  decodeCbor, decodeJwsPart, decodeSign1, equalBytes, kidOf, main, parseArgs, rawPublicKey,
  readJws, sigStructure, verifyRaw, verifyRawStrict,
} from './lib.mjs';

const QR_ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

// Claim labels (RFC 8392, RFC 8747, DESIGN.md private-use labels).
const ISS = 1, SUB = 2, EXP = 4, IAT = 6, CTI = 7, CNF = 8;
const SCENES = -65537, CHANNEL = -65538, RIDER = -65539;
const CARD_CHANNEL = 4;

function isUint(v) {
  return (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n);
}

main('verify_card', async () => {
  const args = parseArgs(process.argv.slice(2));
  const alg = algOf(args.alg);
  for (const name of ['text', 'trust', 'iss', 'cti', 'iat', 'exp', 'scenes']) {
    check(name in args, `--${name} is required`);
  }

  // --- Text and Base45
  const text = args.text;
  check(text.startsWith('CC1:'), `card text does not start with CC1: ${text.slice(0, 10)}`);
  check(QR_ALPHANUMERIC.test(text), 'card text is not all QR alphanumeric characters');
  const b45 = text.slice(4);
  let bytes;
  try {
    bytes = Buffer.from(base45.decode(b45));
  } catch (e) {
    throw new CheckError(`base45 package cannot decode the card: ${e.message}`);
  }
  check(base45.encode(bytes) === b45, 'base45 package re-encodes the bytes to another text');

  // --- COSE_Sign1 (tag 18): the credential itself
  const card = decodeSign1(bytes, 'card');
  checkDeterministic(bytes, 'card');
  checkDeterministic(card.protectedBytes, 'card protected header');
  check(card.header.size === 2, `card protected header has ${card.header.size} parameters, not alg and kid`);
  check(card.header.get(1) === COSE_ALG[alg], `card alg ${card.header.get(1)}, expected ${COSE_ALG[alg]}`);
  const kid = card.header.get(4);
  check(Buffer.isBuffer(kid) && kid.length === 8, 'card kid is not 8 bytes in the protected header');
  check(card.signature.length === 64, `card signature is ${card.signature.length} bytes, not 64`);

  // --- The signature, with every trust.json key of this kid.
  const trust = decodeJwsPart(readJws(args.trust).payload);
  check(trust.type === 'citycode-trust-list', `trust.json is a ${trust.type}`);
  const matches = trust.keys.filter((k) => k.kid === kid.toString('hex'));
  check(matches.length >= 1, `no trust.json key has kid ${kid.toString('hex')}`);
  const tbs = sigStructure(card.protectedBytes, card.payload);
  let signer = null;
  for (const entry of matches) {
    const spki = Buffer.from(entry.public_key, 'base64');
    check(equalBytes(kidOf(spki), kid), 'trust.json kid is not SHA-256(SPKI)[0:8]');
    const key = rawPublicKey(spki, alg);
    if (verifyRaw(alg, key, tbs, card.signature)) signer = key;
  }
  check(signer !== null, `card signature does not verify with the trust list's key (${alg})`);
  verifyRawStrict(alg, signer, tbs, card.signature, 'card');
  if (alg === 'es256') await coseJsVerify(bytes, signer.subarray(1, 33), signer.subarray(33), card.payload, 'card');

  // --- Claims: a credential's, with channel card and no cnf.
  const claims = decodeCbor(card.payload, 'card claims');
  checkDeterministic(card.payload, 'card claims');
  check(claims instanceof Map, 'card claims are not a map');
  check(!claims.has(CNF), 'a card has a cnf');
  for (const label of claims.keys()) {
    check([ISS, SUB, EXP, IAT, CTI, SCENES, CHANNEL, RIDER].includes(label), `unexpected claim ${label}`);
  }
  check(claims.get(CHANNEL) === CARD_CHANNEL, `channel ${claims.get(CHANNEL)}, expected ${CARD_CHANNEL} (card)`);
  check(claims.get(ISS) === args.iss, `iss ${claims.get(ISS)}, expected ${args.iss}`);
  check(Buffer.isBuffer(claims.get(SUB)) && claims.get(SUB).length === 16, 'sub is not 16 bytes');
  const cti = claims.get(CTI);
  check(Buffer.isBuffer(cti) && cti.length === 16, 'cti is not 16 bytes');
  check(cti.toString('hex') === args.cti, `cti ${cti.toString('hex')}, expected ${args.cti}`);
  for (const [label, name] of [[IAT, 'iat'], [EXP, 'exp']]) {
    check(isUint(claims.get(label)), `${name} is not a uint`);
    check(Number(claims.get(label)) === Number(args[name]), `${name} ${claims.get(label)}, expected ${args[name]}`);
  }
  const scenes = claims.get(SCENES);
  check(Array.isArray(scenes) && scenes.length > 0 && scenes.every(isUint), 'scenes is not a list of uints');
  check(scenes.join(',') === args.scenes, `scenes ${scenes}, expected ${args.scenes}`);
  if (args.rider) check(claims.get(RIDER) === Number(args.rider), `rider ${claims.get(RIDER)}, expected ${args.rider}`);
  else check(!claims.has(RIDER), `rider ${claims.get(RIDER)} on an adult's card`);

  // --- A copy that also names the hotel scene, re-encoded by the
  // third-party encoder under the same signature, is refused.
  const more = new Map(claims);
  more.set(SCENES, [...scenes, 4].sort((a, b) => a - b));
  const forgedPayload = cbor.encodeCanonical(more);
  check(!verifyRaw(alg, signer, sigStructure(card.protectedBytes, forgedPayload), card.signature),
    'a copy with another scene verifies');
  if (alg === 'es256') {
    const forged = cbor.encodeCanonical(new cbor.Tagged(18,
      [card.protectedBytes, card.unprotected, forgedPayload, card.signature]));
    let refused = false;
    try {
      await coseJs.sign.verify(forged, { key: { x: signer.subarray(1, 33), y: signer.subarray(33) } });
    } catch {
      refused = true;
    }
    check(refused, 'cose-js accepted a copy with another scene');
  }
});
