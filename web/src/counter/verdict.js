// The verdict: in words (both languages), with the reason code, a colour
// and an icon (colour is never the only signal), announced to screen readers.
import { h, setText } from '../lib/dom.js'
import { has } from '../lib/i18n.js'

export function verdictBox () {
  const icon = h('span', { class: 'verdict__icon', 'aria-hidden': 'true' })
  const word = h('p', { class: 'verdict__word' })
  const detail = h('p', { class: 'verdict__detail' })
  const reason = h('p', { class: 'verdict__detail verdict__reason', testid: 'verdict-reason' })
  const box = h('div', { class: 'verdict verdict--idle', testid: 'verdict', role: 'status', 'aria-live': 'assertive', 'aria-atomic': 'true', dataset: { state: 'idle', reason: '' } },
    icon, h('div', {}, word, detail, reason))
  setText(word, 'verdict.idle')

  // state: 'idle' | 'busy' | 'valid' | 'refused'; reason: the verifier's code.
  function show (state, reasonCode = '', detailKey, detailParams) {
    box.className = `verdict verdict--${state}`
    box.dataset.state = state
    box.dataset.reason = reasonCode
    icon.textContent = state === 'valid' ? '✓' : state === 'refused' ? '✕' : state === 'busy' ? '…' : ''
    setText(word, `verdict.${state}`)
    if (reasonCode && state !== 'valid') {
      setText(detail, has(`reason.${reasonCode}`) ? `reason.${reasonCode}` : has(`error.${reasonCode}`) ? `error.${reasonCode}` : 'reason.other')
    } else if (detailKey) {
      setText(detail, detailKey, detailParams)
    } else {
      detail.textContent = ''
      delete detail.dataset.i18n
    }
    reason.textContent = reasonCode ? `${reasonCode}` : ''
  }
  return { box, show }
}

// The verifier's reason in a scene call's refusal: the hall answers 403
// code_invalid "the code was refused: <reason>"; other refusals are their code.
export function refusalReason (error) {
  if (error.details?.reason) return error.details.reason
  const named = /refused: ([a-z_]+)/.exec(error.message ?? '')
  if (named) return named[1]
  return error.code
}
