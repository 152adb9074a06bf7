// 场所 (sites): the organisation's halls, stations, campuses, gates
// (GET /v1/orgs/{org}/sites), and a new one by name (POST …/sites {name}).
import { h, field } from '../lib/dom.js'
import { showStatus } from '../lib/errors.js'
import { panel } from '../lib/panel.js'
import { loadSites, nameProblem, orgPath } from './org_api.js'
import { formCard, onSubmit } from './forms.js'

export function renderSitesView (main, ctx) {
  const list = panel('sites')
  const reload = () => list.fill(() => loadSites(ctx), (sites) => sites.length
    ? h('ul', { class: 'org-list' }, sites.map((site) =>
      h('li', { class: 'org-list__item', testid: 'site', dataset: { siteId: site.id } }, h('span', { testid: 'site-name' }, site.name))))
    : null, 'org.sites.empty')
  main.append(h('h2', { t: 'org.sites.title' }), h('p', { class: 'lead', t: 'org.sites.lead' }),
    h('section', { class: 'card', 'aria-labelledby': 'sites-list-title' }, h('h3', { id: 'sites-list-title', t: 'org.sites.list' }), list.body),
    siteForm(ctx, reload))
  reload()
}

function siteForm (ctx, reload) {
  const name = field({ id: 'site-name-input', label: 'org.sites.name', testid: 'site-name-input', autocomplete: 'off' })
  const card = formCard({ testid: 'site-form', title: 'org.sites.addTitle', rows: [name.row], submitLabel: 'org.sites.add', submitTestid: 'site-submit', statusTestid: 'site-status' })
  onSubmit(card, {
    check: () => nameProblem(name.input.value.trim(), 200, 'org_name_missing', 'org_name_long'),
    scope: 'org.siteCreate',
    send: async () => {
      delete card.status.dataset.siteId
      const site = await ctx.api.post(orgPath(ctx, 'sites'), { name: name.input.value.trim() })
      name.input.value = ''
      showStatus(card.status, 'org.sites.added', { name: site.name })
      card.status.dataset.siteId = site.id
      reload()
    }
  })
  return card.form
}
