// Standard Webhooks signatures made by citycode's outbox, checked by
// third-party code: npm `standardwebhooks` (the reference library) for v1
// (HMAC-SHA256) and @noble/curves for v1a (Ed25519; `standardwebhooks` has
// no v1a). It also signs messages of its own for citycode to verify.
//
// Usage: node verify_webhooks.mjs CASES.json
//   CASES.json: {"secret": "whsec_…", "public_key": "whpk_…", "signing_key": "whsk_…",
//                "cases": [{"name", "id", "timestamp", "body", "signature"}]}
// Prints {"verdicts": [{"name", "v1", "v1a"}], "signed": [{"id", "timestamp",
// "body", "signature"}]}: v1/v1a true when that scheme's signature verifies.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { ed25519 } from '@noble/curves/ed25519.js';

const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks');

function fromPrefixed(text, prefix) {
  if (!text.startsWith(prefix)) throw new Error(`expected a ${prefix} key`);
  return new Uint8Array(Buffer.from(text.slice(prefix.length), 'base64'));
}

function verifiesV1(webhook, c) {
  try {
    webhook.verify(c.body, {
      'webhook-id': c.id,
      'webhook-timestamp': String(c.timestamp),
      'webhook-signature': c.signature,
    });
    return true;
  } catch {
    return false;
  }
}

function verifiesV1a(publicKey, c) {
  const content = new TextEncoder().encode(`${c.id}.${c.timestamp}.${c.body}`);
  return c.signature.split(' ').some((part) => {
    if (!part.startsWith('v1a,')) return false;
    const signature = new Uint8Array(Buffer.from(part.slice(4), 'base64'));
    try {
      return signature.length === 64 && ed25519.verify(signature, content, publicKey, { zip215: false });
    } catch {
      return false;
    }
  });
}

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const webhook = new Webhook(input.secret);
const publicKey = fromPrefixed(input.public_key, 'whpk_');
const verdicts = input.cases.map((c) => ({
  name: c.name,
  v1: verifiesV1(webhook, c),
  v1a: verifiesV1a(publicKey, c),
}));

// Messages signed here, with the same secret and signing key.
const seed = fromPrefixed(input.signing_key, 'whsk_').subarray(0, 32);
const now = new Date();
const signed = [
  { id: 'msg_js_1', body: '{"type":"hotel.guest.checked_in","data":{"room":"301","名":"张"}}' },
  { id: 'msg_js_2', body: '{}' },
].map(({ id, body }) => {
  const timestamp = Math.floor(now.getTime() / 1000);
  const v1 = webhook.sign(id, now, body);
  const v1a = Buffer.from(
    ed25519.sign(new TextEncoder().encode(`${id}.${timestamp}.${body}`), seed),
  ).toString('base64');
  return { id, timestamp, body, signature: `${v1} v1a,${v1a}` };
});
console.log(JSON.stringify({ verdicts, signed }));
