// An API error in words: the localised message for a code we know, else the
// server's own message (never the request's values: the server keeps them out).
import { has, t } from './i18n.js'

export function errorText (error) {
  const code = error?.code
  if (code && has(`error.${code}`)) return t(`error.${code}`)
  if (error?.message) return error.message
  return t('error.unknown')
}

// Puts the error on a status line (role=status / alert) as translatable text.
export function showError (line, error) {
  line.classList.add('status--error')
  const code = error?.code
  if (code && has(`error.${code}`)) {
    line.dataset.i18n = `error.${code}`
    delete line.dataset.i18nParams
    line.textContent = t(`error.${code}`)
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
