// 场所 (sites): the organisation's halls, stations, campuses, gates
// (GET /v1/orgs/{org}/sites), and a new one by name (POST …/sites {name}).
import { h, field, statusLine } from '../lib/dom.js'
import { clearStatus, showError, showStatus } from '../lib/errors.js'
import { panel } from '../lib/panel.js'
import { loadSites, nameProblem, orgPath } from './org_api.js'

const SCOPES = ['org.siteCreate', 'org']

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
  const status = statusLine('site-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'org.sites.add', testid: 'site-submit' })
  const form = h('form', { class: 'card form', testid: 'site-form', novalidate: true, 'aria-labelledby': 'site-form-title' },
    h('h3', { id: 'site-form-title', t: 'org.sites.addTitle' }), name.row, status, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const value = name.input.value.trim()
    const problem = nameProblem(value, 200, 'org_name_missing', 'org_name_long')
    if (problem) return showError(status, { code: problem })
    submit.disabled = true
    clearStatus(status)
    delete status.dataset.siteId
    try {
      const site = await ctx.api.post(orgPath(ctx, 'sites'), { name: value })
      name.input.value = ''
      showStatus(status, 'org.sites.added', { name: site.name })
      status.dataset.siteId = site.id
      reload()
    } catch (error) {
      showError(status, error, SCOPES)
    } finally {
      submit.disabled = false
    }
  })
  return form
}
