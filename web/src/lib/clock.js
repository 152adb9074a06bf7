// The server's clock as seen from here. A code's t is the page clock plus
// this offset, learned from HTTP Date headers while online (whole seconds,
// so only an offset beyond 2 s is trusted) and kept for offline use.
let offsetMs = 0
let listener = null

const TRUSTED_SKEW_MS = 2000

export function noteServerDate (dateHeader, sentAt, receivedAt) {
  const server = Date.parse(dateHeader ?? '')
  if (Number.isNaN(server)) return
  // The header is truncated to the second: its middle is server + 0.5 s.
  const measured = server + 500 - (sentAt + receivedAt) / 2
  const next = Math.abs(measured) > TRUSTED_SKEW_MS ? Math.round(measured) : 0
  if (next !== offsetMs) {
    offsetMs = next
    listener?.(offsetMs)
  }
}

export function setClockOffset (ms) {
  offsetMs = Number.isFinite(ms) ? ms : 0
}

export function clockOffset () {
  return offsetMs
}

// Called when a new offset is learned (to store it for offline reloads).
export function onClockOffset (fn) {
  listener = fn
}

export function serverNowMs () {
  return Date.now() + offsetMs
}

export function serverNowSeconds () {
  return Math.floor(serverNowMs() / 1000)
}
