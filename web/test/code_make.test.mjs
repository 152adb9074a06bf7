// The page's code maker (src/code.js) against the C++ one: for an Ed25519
// key the two texts are byte-identical for the same credential, time and
// counter; a P-256 code (ECDSA signatures are randomised) verifies offline.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { makeCode, publicKeyPem } from '../src/code.js'

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const bin = process.env.CITYCODE_BIN ?? resolve(webDir, '../build/src/cli/citycode')
const { subtle } = globalThis.crypto
const T = 1780000000 // a fixed instant (2026-05-28), inside the credential's life below
const N = 7

let dir
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'citycode-web-test-'))
  citycode(['issuer', 'init', '--dir', join(dir, 'issuer')])
})
after(() => rmSync(dir, { recursive: true, force: true }))

function citycode (args, { allowFailure = false } = {}) {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  } catch (error) {
    if (allowFailure && error.status === 1) return error.stdout.trim()
    throw new Error(`${bin} ${args.join(' ')} failed: ${error.stderr || error.message}`)
  }
}

function pem (label, der) {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g).join('\n')
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`
}

// A key pair in Node's WebCrypto, its private half written as PKCS#8 PEM,
// and a credential for it from the file issuer (valid from now for 24 h;
// code make signs any t, code verify judges the life at --at).
async function deviceWithCredential (name, algorithm) {
  const pair = await subtle.generateKey(algorithm, true, ['sign', 'verify'])
  const keyFile = join(dir, `${name}.key`)
  const pubFile = join(dir, `${name}.pub`)
  const credentialFile = join(dir, `${name}.cbor`)
  writeFileSync(keyFile, pem('PRIVATE KEY', await subtle.exportKey('pkcs8', pair.privateKey)), { mode: 0o600 })
  writeFileSync(pubFile, await publicKeyPem(pair.publicKey))
  citycode(['credential', 'issue', '--issuer', join(dir, 'issuer'), '--device-pub', pubFile,
    '--scenes', 'gov,transit', '--ttl', '24h', '--out', credentialFile])
  return { pair, keyFile, credentialFile, credential: new Uint8Array(readFileSync(credentialFile)) }
}

// Verification needs a t inside the credential's life: now, fixed once.
const now = Math.floor(Date.now() / 1000)

test('an Ed25519 code is byte-identical to citycode code make', async () => {
  const device = await deviceWithCredential('ed25519', { name: 'Ed25519' })
  const page = await makeCode({ credential: device.credential, privateKey: device.pair.privateKey, t: T, n: N })
  const cli = citycode(['code', 'make', '--credential', device.credentialFile, '--device-key', device.keyFile,
    '--at', String(T), '--counter', String(N)])
  assert.match(page, /^CC1:[0-9A-Z $%*+\-./:]+$/)
  assert.equal(page, cli)
  const fresh = await makeCode({ credential: device.credential, privateKey: device.pair.privateKey, t: now, n: N })
  const verdict = JSON.parse(citycode(['code', 'verify', '--trust', join(dir, 'issuer', 'trust.json'),
    '--at', String(now), fresh]))
  assert.equal(verdict.valid, true)
})

test('Ed25519 codes match for t and n of every CBOR head size', async () => {
  const device = await deviceWithCredential('ed25519-b', { name: 'Ed25519' })
  for (const [t, n] of [[T, 0], [now, 23], [now + 1, 255], [now, 65536], [0, 4294967296], [24, 24]]) {
    const page = await makeCode({ credential: device.credential, privateKey: device.pair.privateKey, t, n })
    const cli = citycode(['code', 'make', '--credential', device.credentialFile, '--device-key', device.keyFile,
      '--at', String(t), '--counter', String(n)])
    assert.equal(page, cli, `t=${t} n=${n}`)
  }
})

test('a P-256 code verifies offline with citycode code verify', async () => {
  const device = await deviceWithCredential('p256', { name: 'ECDSA', namedCurve: 'P-256' })
  const page = await makeCode({ credential: device.credential, privateKey: device.pair.privateKey, t: now, n: N })
  const verdict = JSON.parse(citycode(['code', 'verify', '--trust', join(dir, 'issuer', 'trust.json'),
    '--at', String(now), page], { allowFailure: true }))
  assert.equal(verdict.reason, 'valid')
  assert.equal(verdict.valid, true)
})

test('a code made 61 s before the check is refused as stale', async () => {
  const device = await deviceWithCredential('ed25519-c', { name: 'Ed25519' })
  const page = await makeCode({ credential: device.credential, privateKey: device.pair.privateKey, t: now, n: 1 })
  const verdict = JSON.parse(citycode(['code', 'verify', '--trust', join(dir, 'issuer', 'trust.json'),
    '--at', String(now + 61), page], { allowFailure: true }))
  assert.equal(verdict.reason, 'stale')
})
