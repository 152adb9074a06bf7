// Signing in with an API key, as the organisation page (an org admin's key)
// and the operator dashboard (the admin key) do: the key is kept in
// sessionStorage (this tab only), tried once, and a refusal is said in the
// page's words — `codes` maps 401 and 403 to them.
import { h, field, statusLine } from './dom.js'
import { showError, showStatus } from './errors.js'

// The key of this tab, kept under `storageKey`.
export function keyStore (storageKey) {
  let key = sessionStorage.getItem(storageKey)
  return {
    get: () => key,
    keep: (value) => { key = value; sessionStorage.setItem(storageKey, value) },
    forget: () => { key = null; sessionStorage.removeItem(storageKey) },
    headers: () => (key ? { Authorization: `Bearer ${key}` } : {})
  }
}

// Unknown or revoked (401), or a key of another role (403).
export function isKeyRefusal (error) {
  return error.code === 'unauthenticated' || error.code === 'permission_denied'
}

// `codes`: {unauthenticated, permission_denied} → the page's error codes.
export function keyRefusal (error, codes) {
  return codes[error.code] ? { code: codes[error.code] } : error
}

// The sign-in form under `prefix` (ids, testids and i18n keys `${prefix}-key`,
// `${prefix}.signIn` …): `tryKey(value)` asks the server with that key (the
// store holds it meanwhile) and its answer goes to `onSignedIn`; a refused
// key is not kept. Appends to `main` and focuses the field.
export function showKeySignIn (main, { prefix, store, codes, tryKey, onSignedIn, error }) {
  const key = field({ id: `${prefix}-key`, label: `${prefix}.key`, testid: `${prefix}-key`, type: 'password', autocomplete: 'off', spellcheck: 'false' })
  const status = statusLine(`${prefix}-key-status`)
  if (error) showError(status, keyRefusal(error, codes))
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: `${prefix}.signIn`, testid: `${prefix}-key-submit` })
  const form = h('form', { class: 'card form', testid: `${prefix}-key-form`, novalidate: true }, key.row, status, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const value = key.input.value.trim()
    if (!value) return showError(status, { code: `${prefix}_key_missing` })
    submit.disabled = true
    showStatus(status, `${prefix}.signingIn`)
    store.keep(value)
    let answer
    try {
      answer = await tryKey()
    } catch (failure) {
      store.forget()
      showError(status, keyRefusal(failure, codes))
      submit.disabled = false
      return
    }
    onSignedIn(answer)
  })
  main.append(h('h2', { t: `${prefix}.signInTitle` }), h('p', { class: 'lead', t: `${prefix}.signInLead` }), form)
  key.input.focus()
}
