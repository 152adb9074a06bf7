// 收入 (a hospital's charges and refunds posted on a local day): GET
// /v1/orgs/{org}/medical/revenue?day=YYYY-MM-DD → {charged_fen,
// refunded_fen (positive), net_fen, postings}. Amounts are fen, shown in ¥.
import { h, field } from '../lib/dom.js'
import { cityToday, formatFen, onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { orgPath } from './org_api.js'
import { DAY } from './forms.js'

export function renderRevenueView (main, ctx) {
  const day = field({ id: 'revenue-day', label: 'org.revenue.day', testid: 'revenue-day', type: 'date', value: cityToday() })
  const figures = panel('revenue')
  const reload = () => {
    const value = day.input.value
    if (!DAY.test(value)) return
    figures.fill(() => ctx.api.get(`${orgPath(ctx, 'medical', 'revenue')}?day=${value}`), revenueFacts)
  }
  day.input.addEventListener('change', reload)
  main.append(h('h2', { t: 'org.revenue.title' }), h('p', { class: 'lead', t: 'org.revenue.lead' }),
    h('section', { class: 'card', 'aria-labelledby': 'revenue-title' },
      h('h3', { id: 'revenue-title', t: 'org.revenue.figures' }), h('div', { class: 'form' }, day.row), figures.body))
  reload()
  return onLangChange(reload)
}

function revenueFacts (revenue) {
  const amount = (key, fen, testid) => [h('dt', { t: key }), h('dd', { testid, dataset: { fen: String(fen) } }, formatFen(fen))]
  return h('dl', { class: 'facts', testid: 'revenue-facts', dataset: { day: revenue.day } },
    amount('org.revenue.charged', revenue.charged_fen, 'revenue-charged'),
    amount('org.revenue.refunded', revenue.refunded_fen, 'revenue-refunded'),
    amount('org.revenue.net', revenue.net_fen, 'revenue-net'),
    h('dt', { t: 'org.revenue.postings' }), h('dd', { testid: 'revenue-postings' }, String(revenue.postings)))
}
