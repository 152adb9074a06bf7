// An API error in words: the localised message for a code we know, else the
// server's own message (never the request's values: the server keeps them out).
// A scene whose codes another scene also uses with other words (access's
// already_booked is a slot of a scenic area, medical's a clinician's
// session) passes its scope: `error.<scope>.<code>` is tried first. A list
// of scopes is tried in order (the organisation page: the action's own
// words, e.g. `org.terminalCreate`, then the page's, `org`).
import { has, t } from './i18n.js'

function errorKey (code, scope) {
  if (!code) return null
  const scopes = Array.isArray(scope) ? scope : scope ? [scope] : []
  const found = scopes.find((s) => has(`error.${s}.${code}`))
  if (found) return `error.${found}.${code}`
  return has(`error.${code}`) ? `error.${code}` : null
}

export function errorText (error, scope) {
  const key = errorKey(error?.code, scope)
  if (key) return t(key)
  if (error?.message) return error.message
  return t('error.unknown')
}

// Puts the error on a status line (role=status / alert) as translatable text.
export function showError (line, error, scope) {
  line.classList.add('status--error')
  const code = error?.code
  const key = errorKey(code, scope)
  if (key) {
    line.dataset.i18n = key
    delete line.dataset.i18nParams
    line.textContent = t(key)
  } else {
    delete line.dataset.i18n
    line.textContent = errorText(error)
  }
  line.dataset.errorCode = code ?? ''
}

export function showStatus (line, key, params) {
  line.classList.remove('status--error')
  delete line.dataset.errorCode
  line.dataset.i18n = key
  if (params) line.dataset.i18nParams = JSON.stringify(params)
  else delete line.dataset.i18nParams
  line.textContent = t(key, params)
}

export function clearStatus (line) {
  line.classList.remove('status--error')
  delete line.dataset.i18n
  delete line.dataset.errorCode
  line.textContent = ''
}
