// This phone's device: its key (WebCrypto, non-extractable, kept in
// IndexedDB), its credential, enrolment, renewal and making the live code.
import { base64UrlToBytes, makeCode, publicKeyPem } from '../code.js'
import { serverNowMs, serverNowSeconds } from '../lib/clock.js'
import { deleteState, nextCounter, readState, writeState } from '../lib/store.js'

const DEVICE_KEY = 'device'

// Ed25519 where the browser has it, else ECDSA P-256.
export async function generateDeviceKey () {
  try {
    return await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])
  } catch {
    return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  }
}

export const loadDevice = () => readState(DEVICE_KEY)
export const forgetDevice = () => deleteState(DEVICE_KEY)

function withCredential (device, answer) {
  return {
    ...device,
    deviceId: answer.device_id,
    credential: answer.credential,
    credentialId: answer.credential_id,
    issuedAt: answer.issued_at,
    expiresAt: answer.expires_at,
    riderCategory: answer.rider_category,
    scenes: answer.scenes,
    channel: answer.channel
  }
}

// Makes a key, enrols it (POST /v1/me/devices) and keeps key and credential.
export async function enrolDevice (api, label) {
  const pair = await generateDeviceKey()
  const answer = await api.post('/v1/me/devices', { public_key: await publicKeyPem(pair.publicKey), label })
  const device = withCredential({ privateKey: pair.privateKey, keyAlgorithm: pair.privateKey.algorithm.name }, answer)
  await writeState(DEVICE_KEY, device)
  return device
}

// A fresh credential for this device (POST /v1/me/devices/{id}/renew).
export async function renewDevice (api, device) {
  const answer = await api.post(`/v1/me/devices/${encodeURIComponent(device.deviceId)}/renew`)
  const renewed = withCredential(device, answer)
  await writeState(DEVICE_KEY, renewed)
  return renewed
}

// Past half its life, a credential is renewed at the next chance online.
export function needsRenewal (device, nowMs = serverNowMs()) {
  const issued = Date.parse(device.issuedAt)
  const expires = Date.parse(device.expiresAt)
  return nowMs >= issued + (expires - issued) / 2
}

export function isExpired (device, nowMs = serverNowMs()) {
  return nowMs >= Date.parse(device.expiresAt)
}

// One live code: the next counter, the server-corrected time.
export async function makeLiveCode (device) {
  const n = await nextCounter()
  const t = serverNowSeconds()
  const text = await makeCode({ credential: base64UrlToBytes(device.credential), privateKey: device.privateKey, t, n })
  return { text, t, n }
}
