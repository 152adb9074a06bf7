// The citizen page's IndexedDB: the session, the device's non-extractable
// CryptoKey and its credential, the code counter and the clock offset.
// Nothing here is the name or the ID number.
import { createStore, get, set, del, update } from 'idb-keyval'

const store = createStore('citycode', 'state')

export const readState = (key) => get(key, store)
export const writeState = (key, value) => set(key, value, store)
export const deleteState = (key) => del(key, store)

// The presentation counter n: one more for every code made, never reused.
export async function nextCounter () {
  let next = 0
  await update('counter', (n) => { next = (n ?? 0) + 1; return next }, store)
  return next
}
