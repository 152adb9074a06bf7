// My access history: who fetched which certificate, when and why; refusals
// and consent changes too (GET /v1/me/access-history).
import { h } from '../lib/dom.js'
import { formatDateTime, has } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'

export function renderHistoryView (main, ctx) {
  const list = panel('history')
  main.append(h('h2', { t: 'history.title' }), h('p', { class: 'lead', t: 'history.lead' }), list.body)
  list.fill(() => ctx.api.get('/v1/me/access-history'),
    ({ history }) => history.length ? h('ol', { class: 'timeline' }, newestFirst(history).map(entryItem)) : null,
    'history.empty')
}

function newestFirst (history) {
  return [...history].sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0))
}

function entryItem (e) {
  const refused = e.action === 'fetch.refused'
  const actionKey = has(`action.${e.action}`) ? `action.${e.action}` : 'action.other'
  return h('li', { class: `timeline__item${refused ? ' timeline__item--refused' : ''}`, testid: 'history-entry', dataset: { action: e.action } },
    h('p', { class: 'timeline__when' }, h('time', { datetime: e.at }, formatDateTime(e.at))),
    h('p', { class: 'timeline__what' },
      h('strong', {}, e.org_name || e.org_id || ''), ' ',
      h('span', { class: refused ? 'badge badge--error' : 'badge badge--muted', t: actionKey })),
    e.purpose && e.action !== 'consent.presentation' ? h('p', { class: 'timeline__why' }, h('span', { t: 'history.purpose' }), ' ', e.purpose) : null,
    e.certificates?.length ? h('p', { class: 'timeline__certs mono' }, e.certificates.join(', ')) : null,
    e.reason ? h('p', { class: 'timeline__reason' }, h('span', { t: 'history.reason' }), ' ',
      h('span', { t: has(`error.${e.reason}`) ? `error.${e.reason}` : undefined, text: has(`error.${e.reason}`) ? undefined : e.reason })) : null)
}
