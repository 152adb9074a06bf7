// What the scenes' setup views share: one way of sending a form (the
// page's own checks first, so the server's limits are refused in words;
// the button held while the server answers; a refusal worded by the
// action's scope, then the page's), the choice of a site or terminal kept
// across reloads, and the numbers the routes take.
import { h, statusLine } from '../lib/dom.js'
import { clearStatus, showError } from '../lib/errors.js'

// A card form: its title, its rows, a status line and the submit button.
export function formCard ({ testid, title, rows, submitLabel, submitTestid, statusTestid, hint }) {
  const status = statusLine(statusTestid)
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: submitLabel, testid: submitTestid })
  const titleId = `${testid}-title`
  const form = h('form', { class: 'card form', testid, novalidate: true, 'aria-labelledby': titleId },
    h('h3', { id: titleId, t: title }), rows, hint ? h('p', { class: 'hint', t: hint }) : null,
    status, h('div', { class: 'actions' }, submit))
  return { form, status, submit }
}

// check() → an error code or null; send() → a promise; scope: the action's
// error scope (e.g. 'org.department'), 'org' is tried after it.
export function onSubmit ({ form, status, submit }, { check, send, scope }) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const problem = check?.()
    if (problem) return showError(status, { code: problem })
    submit.disabled = true
    clearStatus(status)
    try {
      await send()
    } catch (error) {
      showError(status, error, scope ? [scope, 'org'] : 'org')
    } finally {
      submit.disabled = false
    }
  })
}

// Fills a select with a first "pick one" option and the choices
// [{value, label}], keeping what was chosen when it is still offered.
export function offerChoices (select, pickKey, choices) {
  const chosen = select.value
  select.replaceChildren(h('option', { value: '', t: pickKey }),
    ...choices.map((choice) => h('option', { value: choice.value, dataset: choice.data ?? {} }, choice.label)))
  select.value = choices.some((choice) => choice.value === chosen) ? chosen : ''
}

// An integer typed in a field, or NaN (a number field gives '' for text).
export function integerOf (text) {
  return /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : NaN
}

// Yuan as typed ("12", "12.5", "12.50") → fen, exactly (no float sums); NaN otherwise.
export function fenOf (text) {
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim())
  if (!match) return NaN
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
}

// HH:MM → minutes of the day, or NaN.
export function minutesOf (text) {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text ?? '')
  return match ? Number(match[1]) * 60 + Number(match[2]) : NaN
}

export const DAY = /^\d{4}-\d{2}-\d{2}$/
