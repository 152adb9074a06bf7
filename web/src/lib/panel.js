// A tab's data panel: loading, an empty state, an error, or the content.
// Only the latest fill renders: an earlier load that answers late (the slots
// of the day chosen before) must not replace the newer one's content.
import { h } from './dom.js'
import { showError } from './errors.js'

export function panel (testid) {
  const body = h('div', { class: 'panel', testid, 'aria-busy': 'false' })
  let latest = 0
  return {
    body,
    // load: async () => data; render: (data) => Node | null (null = empty);
    // scope: the error words' scope (errors.js), if the view has its own.
    async fill (load, render, emptyKey, scope) {
      const mine = ++latest
      body.setAttribute('aria-busy', 'true')
      body.replaceChildren(h('p', { class: 'loading', t: 'common.loading' }))
      try {
        const data = await load()
        if (mine !== latest) return null
        const content = render(data)
        body.replaceChildren(content ?? h('p', { class: 'empty', testid: `${testid}-empty`, t: emptyKey }))
      } catch (error) {
        if (mine !== latest) return null
        const line = h('p', { class: 'status status--error', role: 'alert', testid: `${testid}-error` })
        showError(line, error.code === 'network' ? { code: 'offline' } : error, scope)
        body.replaceChildren(line)
        return error
      } finally {
        if (mine === latest) body.setAttribute('aria-busy', 'false')
      }
      return null
    }
  }
}
