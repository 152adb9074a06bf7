// A new terminal key, shown once: the server answers it only when the
// terminal is made or its key rotated, and the page keeps it nowhere but
// this box (not in storage, a URL or the console). Closing the box, leaving
// the tab or the page loses it; a language switch keeps it (texts are
// re-translated in place).
import { h, statusLine } from '../lib/dom.js'
import { copyButton } from '../lib/copy_button.js'

// slot: the element the box fills; {terminal, apiKey, rotated}.
export function showKeyOnce (slot, { terminal, apiKey, rotated = false }) {
  const status = statusLine('key-once-status')
  const value = h('output', { class: 'mono token', id: 'key-once-value', testid: 'key-once-value' }, apiKey)
  const title = h('h3', { id: 'key-once-title', tabindex: '-1', t: rotated ? 'org.keyOnce.rotatedTitle' : 'org.keyOnce.title', tParams: { name: terminal.name } })
  const close = h('button', { type: 'button', class: 'button button--secondary', t: 'org.keyOnce.close', testid: 'key-once-close', onclick: () => slot.replaceChildren() })
  slot.replaceChildren(h('section', { class: 'card key-once', 'aria-labelledby': 'key-once-title', testid: 'key-once', dataset: { terminalId: terminal.id } },
    title,
    h('p', { class: 'notice notice--warn', t: 'org.keyOnce.warning' }),
    h('p', { class: 'issued-pass__label', t: 'org.keyOnce.label' }), value,
    h('div', { class: 'actions' }, copyButton({ label: 'org.keyOnce.copy', testid: 'key-once-copy', text: () => apiKey, shown: value, status }), close),
    status,
    h('p', { class: 'hint', t: 'org.keyOnce.use' })))
  title.focus()
}

// Drops the box when it shows this terminal's key (the terminal was disabled).
export function dropKeyOnce (slot, terminalId) {
  if (slot.querySelector(`[data-terminal-id="${CSS.escape(terminalId)}"]`)) slot.replaceChildren()
}
