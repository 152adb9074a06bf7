// Verifies each JWS (flattened JSON serialization) with `jose`'s
// flattenedVerify, the reference that citycode's signed-list check
// (src/code/internal/signed_list.cc) is held against by
// tests/jws_differential_test.cc.
//
//   node verify_jws.mjs CASES.json
//
// CASES.json: [{"name", "jws" (text), "key" (SPKI PEM), "alg" (EdDSA, ES256)}].
// Output: one JSON array on stdout of {"name", "ok", "payload" (hex, when ok)}.
import { readFileSync } from 'node:fs';

import * as jose from 'jose';

const results = [];
for (const c of JSON.parse(readFileSync(process.argv[2], 'utf8'))) {
  let result = { name: c.name, ok: false };
  try {
    const key = await jose.importSPKI(c.key, c.alg);
    const verified = await jose.flattenedVerify(JSON.parse(c.jws), key, { algorithms: [c.alg] });
    result = { name: c.name, ok: true, payload: Buffer.from(verified.payload).toString('hex') };
  } catch {
    // refused: not JSON, not a flattened JWS, or not verified
  }
  results.push(result);
}
console.log(JSON.stringify(results));
