// Verifies an access site's allow-list (and a delta) against root.pem with
// third-party code — jose (EdDSA, ES256), sm-crypto (SM2SM3), @noble/curves
// (every alg) — then checks the payload against docs/ACCESS.md and that the
// expected credential ids are in it, as the first 16 bytes of SHA-256.
//
//   node verify_allow_list.mjs --dir D --alg ed25519|es256|sm2 --site S
//                              --admits HEX_CTI[,HEX_CTI…] [--delta-removes HEX_CTI]
// D holds root.pem, list.json and delta.json. Exit 0 ok, 1 refused.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  algOf, check, checkTime, kidOf, main, parseArgs, pemToDer, rawPublicKey, verifyList,
} from './lib.mjs';

const HASH = /^[0-9a-f]{32}$/;

function hashOf(ctiHex) {
  return createHash('sha256').update(Buffer.from(ctiHex, 'hex')).digest().subarray(0, 16).toString('hex');
}

// The windows of a list or delta: each hash with its window.
function entriesOf(windows, what) {
  check(Array.isArray(windows), `${what} is not a list`);
  const entries = [];
  for (const [i, w] of windows.entries()) {
    const from = checkTime(w.from, `${what}[${i}].from`);
    const until = checkTime(w.until, `${what}[${i}].until`);
    check(until > from, `${what}[${i}] ends before it starts`);
    if ('entries' in w) check(Number.isInteger(w.entries) && w.entries >= 1, `${what}[${i}].entries`);
    check(Array.isArray(w.cti_sha256_128), `${what}[${i}] has no cti_sha256_128`);
    for (const hash of w.cti_sha256_128) {
      check(typeof hash === 'string' && HASH.test(hash), `${what}[${i}]: ${hash} is not 16 bytes of hex`);
      entries.push({ hash, from, until });
    }
  }
  return entries;
}

main('verify_allow_list', async () => {
  const args = parseArgs(process.argv.slice(2));
  const alg = algOf(args.alg);
  const rootPem = readFileSync(join(args.dir, 'root.pem'), 'utf8');
  const rootSpki = pemToDer(rootPem);
  const rootRaw = rawPublicKey(rootSpki, alg);
  const rootKid = kidOf(rootSpki);

  const list = await verifyList(join(args.dir, 'list.json'), alg, rootPem, rootRaw, rootKid);
  check(list.type === 'citycode-allow-list', `list type is ${list.type}`);
  check(list.site === args.site, `list site is ${list.site}, expected ${args.site}`);
  const listed = entriesOf(list.windows, 'windows');
  const now = Date.now();
  for (const cti of args.admits.split(',')) {
    check(listed.some((e) => e.hash === hashOf(cti) && e.from <= now && now < e.until),
      `the list does not admit ${cti} now`);
  }

  const delta = await verifyList(join(args.dir, 'delta.json'), alg, rootPem, rootRaw, rootKid);
  check(delta.type === 'citycode-allow-list-delta', `delta type is ${delta.type}`);
  check(delta.site === args.site, `delta site is ${delta.site}`);
  check(Number.isInteger(delta.base_version) && delta.base_version === list.version,
    `delta base_version ${delta.base_version}, the list is version ${list.version}`);
  check(delta.version > delta.base_version, 'delta version is not above its base');
  entriesOf(delta.added, 'added');
  const removed = entriesOf(delta.removed, 'removed');
  if (args['delta-removes']) {
    check(removed.some((e) => e.hash === hashOf(args['delta-removes'])),
      `the delta does not remove ${args['delta-removes']}`);
  }
});
