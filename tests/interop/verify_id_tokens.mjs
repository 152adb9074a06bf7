// Verifies OpenID Connect ID tokens with `jose` (jwtVerify against a local
// JWKS) and prints, for each case, whether jose accepts it: the reference
// that citycode's verifier (src/oidc/id_token.h) must agree with.
//
//   node verify_id_tokens.mjs CASES.json
//
// CASES.json: {"issuer", "audience", "algorithms": [...], "jwks": {...},
//              "cases": [{"name", "token", "nonce", "now"}]}   (now: unix s)
// Output: one JSON array [{"name", "accepted", "error"}] on stdout.
import { readFileSync } from 'node:fs';

import * as jose from 'jose';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const keys = jose.createLocalJWKSet(input.jwks);

// OpenID Connect Core 3.1.3.7: the checks jose does not make itself (the
// nonce; azp when there are several audiences; the person's claims).
function checkOidc(payload, nonce) {
  if (payload.nonce !== nonce) throw new Error('nonce');
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== input.audience) {
    throw new Error('azp');
  }
  for (const claim of ['sub', 'name', 'id_number']) {
    if (typeof payload[claim] !== 'string' || payload[claim] === '') throw new Error(claim);
  }
}

const results = [];
for (const c of input.cases) {
  try {
    const { payload } = await jose.jwtVerify(c.token, keys, {
      issuer: input.issuer,
      audience: input.audience,
      algorithms: input.algorithms,
      currentDate: new Date(c.now * 1000),
      clockTolerance: 60,
      maxTokenAge: 600,
      requiredClaims: ['iat', 'exp'],
    });
    checkOidc(payload, c.nonce);
    results.push({ name: c.name, accepted: true, error: '' });
  } catch (e) {
    results.push({ name: c.name, accepted: false, error: String(e.code || e.message) });
  }
}
console.log(JSON.stringify(results));
