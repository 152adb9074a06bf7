// Makes the live code: a CC1 presentation (DESIGN.md, "The code: format CC1"),
// byte for byte as src/code/presentation.cc makes it. Runs in the browser and
// in Node 20: both have WebCrypto (crypto.subtle).
//
//   qr-text      = "CC1:" base45(#6.18([protected, {}, payload, signature]))
//   protected    = bstr of {1: alg}            alg -8 Ed25519, -7 ES256
//   payload      = bstr of {1: credential bstr, 2: t uint, 3: n uint}
//   signature    = over ["Signature1", protected, h'', payload] (RFC 9052 §4.4)
import { encode, Tagged } from 'cborg'
import { encode as base45Encode } from 'base45'

export const QR_PREFIX = 'CC1:'
const COSE_SIGN1_TAG = 18
const ALG_EDDSA = -8
const ALG_ES256 = -7

// The COSE alg and WebCrypto sign parameters for a device key.
export function signerFor (privateKey) {
  const name = privateKey.algorithm.name
  if (name === 'Ed25519') return { alg: ALG_EDDSA, params: { name: 'Ed25519' } }
  if (name === 'ECDSA' && privateKey.algorithm.namedCurve === 'P-256') {
    // WebCrypto's ECDSA signature is already the raw r || s that COSE wants.
    return { alg: ALG_ES256, params: { name: 'ECDSA', hash: 'SHA-256' } }
  }
  throw new Error(`unsupported device key: ${name}`)
}

// cborg writes smallest-length heads and definite lengths, as the C++ does;
// maps with keys 1, 2, 3 come out in that order either way.
function encodePayload (credential, t, n) {
  return encode(new Map([[1, credential], [2, t], [3, n]]))
}

function checkUint (value, what) {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer`)
}

// The presentation's CBOR bytes (tagged COSE_Sign1).
export async function makePresentation ({ credential, privateKey, t, n, subtle = globalThis.crypto.subtle }) {
  if (!(credential instanceof Uint8Array) || credential.length === 0) throw new TypeError('credential must be non-empty bytes')
  checkUint(t, 't')
  checkUint(n, 'n')
  const { alg, params } = signerFor(privateKey)
  const protectedBytes = encode(new Map([[1, alg]]))
  const payload = encodePayload(credential, t, n)
  const toBeSigned = encode(['Signature1', protectedBytes, new Uint8Array(0), payload])
  const signature = new Uint8Array(await subtle.sign(params, privateKey, toBeSigned))
  return encode(new Tagged(COSE_SIGN1_TAG, [protectedBytes, new Map(), payload, signature]))
}

// The QR text of a fresh code.
export async function makeCode (options) {
  return QR_PREFIX + base45Encode(await makePresentation(options))
}

// The credential as the server returns it (base64url, no padding) to bytes.
export function base64UrlToBytes (text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

// The SubjectPublicKeyInfo PEM the server's POST /v1/me/devices takes.
export async function publicKeyPem (publicKey, subtle = globalThis.crypto.subtle) {
  const der = new Uint8Array(await subtle.exportKey('spki', publicKey))
  let binary = ''
  for (const byte of der) binary += String.fromCharCode(byte)
  const lines = btoa(binary).match(/.{1,64}/g).join('\n')
  return `-----BEGIN PUBLIC KEY-----\n${lines}\n-----END PUBLIC KEY-----\n`
}
