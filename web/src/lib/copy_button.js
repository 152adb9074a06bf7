// A button that copies a text shown once (a visitor pass's claim code, a
// new terminal key). Where the clipboard is refused (no permission, an
// insecure origin), it selects the shown text for the user to copy.
import { h } from './dom.js'
import { showStatus } from './errors.js'

// text: () => the text; shown: the element showing it; status: a status line.
export function copyButton ({ label, testid, text, shown, status }) {
  return h('button', {
    type: 'button',
    class: 'button button--secondary',
    t: label,
    testid,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text())
        showStatus(status, 'copy.done')
      } catch {
        const range = document.createRange()
        range.selectNodeContents(shown)
        const selection = window.getSelection()
        selection.removeAllRanges()
        selection.addRange(range)
        showStatus(status, 'copy.select')
      }
    }
  })
}
