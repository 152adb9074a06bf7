// Decodes each input with the npm `cbor` package, the reference that
// citycode's COSE_Sign1 decoder (src/code/cose.h) is held against by
// tests/cose_differential_test.cc on the fuzz corpora.
//
//   node decode_cose.mjs CASES.json
//
// CASES.json: [{"name", "hex"}]. Output: one JSON array on stdout of
// {"name", "one_item": whether the bytes are exactly one well-formed CBOR
//  item, "sign1": {"tag", "protected", "payload", "signature"} (hex) when
//  that item is an array of four whose first, third and fourth members are
//  byte strings and whose second is a map, under no tag or one tag; else null}.
import { readFileSync } from 'node:fs';

import { cbor } from './lib.mjs';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const isBytes = (value) => Buffer.isBuffer(value) || value instanceof Uint8Array;
const isMap = (value) => value instanceof Map || (value !== null && typeof value === 'object' &&
  !Array.isArray(value) && !isBytes(value) && !(value instanceof cbor.Tagged));

function sign1Of (item) {
  let tag = null;
  if (item instanceof cbor.Tagged) {
    tag = item.tag;
    item = item.value;
  }
  if (!Array.isArray(item) || item.length !== 4) return null;
  const [protectedBytes, unprotected, payload, signature] = item;
  if (!isBytes(protectedBytes) || !isMap(unprotected) || !isBytes(payload) || !isBytes(signature)) {
    return null;
  }
  return { tag, protected: hex(protectedBytes), payload: hex(payload), signature: hex(signature) };
}

const results = [];
for (const c of JSON.parse(readFileSync(process.argv[2], 'utf8'))) {
  let items = null;
  try {
    items = cbor.decodeAllSync(Buffer.from(c.hex, 'hex'), { preferMap: true });
  } catch {
    items = null;
  }
  const oneItem = items !== null && items.length === 1;
  results.push({ name: c.name, one_item: oneItem, sign1: oneItem ? sign1Of(items[0]) : null });
}
console.log(JSON.stringify(results));
