// A tiny element builder, so views read as the tree they make.
//   h('button', { t: 'login.submit', testid: 'login-submit', onclick }, child…)
// `t` (and `tParams`) sets the text through i18n and keeps the key on the
// element, so a language switch re-translates it in place; `tAttrs` does the
// same for attributes ({ 'aria-label': key }).
import { t } from './i18n.js'

export function h (tag, props = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) setProp(el, name, value)
  append(el, children)
  return el
}

function setProp (el, name, value) {
  if (value === undefined || value === null || value === false) return
  if (name === 't') {
    el.dataset.i18n = value
    el.textContent = t(value, el.dataset.i18nParams ? JSON.parse(el.dataset.i18nParams) : undefined)
  } else if (name === 'tParams') {
    el.dataset.i18nParams = JSON.stringify(value)
    if (el.dataset.i18n) el.textContent = t(el.dataset.i18n, value)
  } else if (name === 'tAttrs') {
    el.dataset.i18nAttrs = JSON.stringify(value)
    for (const [attr, key] of Object.entries(value)) el.setAttribute(attr, t(key))
  } else if (name === 'testid') {
    el.dataset.testid = value
  } else if (name === 'class') {
    el.className = value
  } else if (name === 'text') {
    el.textContent = value
  } else if (name.startsWith('on') && typeof value === 'function') {
    el.addEventListener(name.slice(2), value)
  } else if (name === 'dataset') {
    Object.assign(el.dataset, value)
  } else if (value === true) {
    el.setAttribute(name, '')
  } else if (name in el && typeof value !== 'string') {
    el[name] = value
  } else {
    el.setAttribute(name, value)
  }
}

function append (el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : String(child))
  }
}

// Sets (or replaces) the translated text of an element.
export function setText (el, key, params) {
  if (params) el.dataset.i18nParams = JSON.stringify(params)
  else delete el.dataset.i18nParams
  el.dataset.i18n = key
  el.textContent = t(key, params)
}

export function clear (el) {
  el.replaceChildren()
  return el
}

// A labelled form field: <label for> + input, the pair every form uses.
export function field ({ id, label, testid, type = 'text', ...attrs }) {
  const input = h(type === 'select' ? 'select' : type === 'textarea' ? 'textarea' : 'input',
    { id, name: id, testid, ...(type === 'select' || type === 'textarea' ? {} : { type }), ...attrs })
  return { row: h('div', { class: 'field' }, h('label', { for: id, t: label }), input), input }
}

// A status line for a form: polite for progress, assertive for errors.
export function statusLine (testid) {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite', testid })
}

// A destructive button that asks once more inline (no window.confirm):
// the first click shows "confirm" and "cancel" (testid + '-confirm', '-cancel').
export function confirmButton ({ label, question, confirmLabel, testid, action, danger = true }) {
  const box = h('div', { class: 'confirm' })
  const first = h('button', { type: 'button', class: `button ${danger ? 'button--danger' : 'button--secondary'}`, t: label, testid })
  const ask = () => {
    const yes = h('button', { type: 'button', class: 'button button--danger', t: confirmLabel, testid: `${testid}-confirm` })
    const no = h('button', { type: 'button', class: 'button button--secondary', t: 'common.cancel', testid: `${testid}-cancel` })
    yes.addEventListener('click', async () => {
      yes.disabled = true
      try { await action() } finally { yes.disabled = false }
    })
    no.addEventListener('click', () => { box.replaceChildren(first); first.focus() })
    box.replaceChildren(h('p', { class: 'confirm__question', role: 'alert', t: question }), h('div', { class: 'actions' }, yes, no))
    yes.focus()
  }
  first.addEventListener('click', ask)
  box.append(first)
  return box
}
