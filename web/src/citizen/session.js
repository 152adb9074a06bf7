// The citizen's session token, kept in IndexedDB so that a reload (offline
// too) still knows who is logged in; cleared at log-out or when the server
// says it has ended.
import { deleteState, readState, writeState } from '../lib/store.js'

const SESSION_KEY = 'session'

export const loadSession = () => readState(SESSION_KEY)
export const saveSession = (session) => writeState(SESSION_KEY, session)
export const forgetSession = () => deleteState(SESSION_KEY)

export function sessionHeaders (session) {
  return session ? { Authorization: `Bearer ${session.token}` } : {}
}
