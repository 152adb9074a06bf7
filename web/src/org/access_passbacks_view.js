// 反潜回 (anti-passback report): GET
// /v1/orgs/{org}/access/sites/{site}/passbacks?day=YYYY-MM-DD → each admitted
// passage in the same direction as its holder's previous one at the site
// (in twice without an out), resolved from the gates' uploads: when, which
// gate and way, the previous passage and, for a member, their name. A site
// without anti-passback answers 409 anti_passback_off (said in words: the
// route that sets sites up cannot switch it on).
import { h, field } from '../lib/dom.js'
import { cityToday, formatDateTime, onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { orgPath } from './org_api.js'
import { DAY } from './forms.js'
import { loadAccessSites, siteChoice } from './access_common.js'

export function renderPassbacksView (main, ctx) {
  const site = siteChoice({ id: 'passbacks-site', testid: 'passbacks-site', accepts: (s) => Boolean(s.policy) })
  const day = field({ id: 'passbacks-day', label: 'org.passbacks.day', testid: 'passbacks-day', type: 'date', value: cityToday() })
  const list = panel('passbacks')
  let sites = null
  const show = (fresh = false) => list.fill(async () => {
    if (fresh || !sites) sites = site.offer(await loadAccessSites(ctx))
    if (!site.input.value) return { noSite: true }
    if (!DAY.test(day.input.value)) return { passbacks: [] }
    return ctx.api.get(`${orgPath(ctx, 'access', 'sites', site.input.value, 'passbacks')}?day=${day.input.value}`)
  }, ({ noSite, passbacks }) => noSite
    ? h('p', { class: 'empty', testid: 'passbacks-no-site', t: 'org.passbacks.noSite' })
    : passbackList(passbacks ?? []), 'org.passbacks.empty', ['org.passbacks', 'org'])
  site.input.addEventListener('change', () => show())
  day.input.addEventListener('change', () => show())
  main.append(h('h2', { t: 'org.passbacks.title' }), h('p', { class: 'lead', t: 'org.passbacks.lead' }),
    h('div', { class: 'card form' }, site.row, day.row),
    h('section', { class: 'org-section', 'aria-labelledby': 'passbacks-list-title' },
      h('h3', { id: 'passbacks-list-title', t: 'org.passbacks.list' }), list.body))
  show(true)
  return onLangChange(() => show(true))
}

function passbackList (passbacks) {
  if (!passbacks.length) return null
  return h('ul', { class: 'cards' }, passbacks.map((p) => h('li', { class: 'card item', testid: 'passback', dataset: { direction: p.direction } },
    h('h4', { class: 'item__title', testid: 'passback-member' }, p.member ? p.member : h('span', { t: 'org.passbacks.visitor' })),
    h('dl', { class: 'facts' },
      h('dt', { t: 'org.passbacks.at' }), h('dd', { testid: 'passback-at' }, `${formatDateTime(p.at)} · ${p.gate} · `, h('span', { t: `org.access.dir.${p.direction}` })),
      h('dt', { t: 'org.passbacks.previous' }), h('dd', { testid: 'passback-previous' }, `${formatDateTime(p.previous_at)} · ${p.previous_gate}`)))))
}
