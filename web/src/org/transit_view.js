// 线路 (a transit operator's agencies and its terminals' routes; kind
// transit_operator, transit/transit_routes.cc):
//   GET /v1/orgs/{org}/transit → {agency_ids, terminal_routes: [{terminal_id,
//     route_id}]}. The agencies of the feed it runs are assigned by the
//     city's admin only (POST …/transit/agencies is the admin's), so shown
//     read-only here.
//   POST …/transit/terminals/{terminal}/route {route_id} → 200: the terminal
//     uploads taps on that route only ("" frees it); a route of an agency
//     the operator does not run is 403 route_of_another_operator. No route
//     lists the feed's routes to an operator, so the id is typed.
import { h, field } from '../lib/dom.js'
import { showStatus } from '../lib/errors.js'
import { onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { byteLength, loadSites, loadTerminals, orgPath, siteNames } from './org_api.js'
import { formCard, offerChoices, onSubmit } from './forms.js'

export function renderTransitView (main, ctx) {
  const agencies = panel('transit-agencies')
  const terminals = panel('transit-terminals')
  const form = routeForm(ctx, () => reload())
  const reload = () => {
    const data = Promise.all([ctx.api.get(orgPath(ctx, 'transit')), loadTerminals(ctx), loadSites(ctx)])
    agencies.fill(async () => (await data)[0].agency_ids ?? [], agencyList, 'org.transit.agenciesEmpty', ['org.transit', 'org'])
    terminals.fill(async () => {
      const [setup, list, sites] = await data
      const active = list.filter((term) => term.active)
      form.offer(active, siteNames(sites))
      return { active, routes: new Map((setup.terminal_routes ?? []).map((r) => [r.terminal_id, r.route_id])), sites: siteNames(sites) }
    }, terminalList, 'org.transit.terminalsEmpty', ['org.transit', 'org'])
  }
  main.append(h('h2', { t: 'org.transit.title' }), h('p', { class: 'lead', t: 'org.transit.lead' }),
    h('section', { class: 'org-section', 'aria-labelledby': 'transit-agencies-title' },
      h('h3', { id: 'transit-agencies-title', t: 'org.transit.agencies' }), h('p', { class: 'hint', t: 'org.transit.agenciesHint' }), agencies.body),
    h('section', { class: 'org-section', 'aria-labelledby': 'transit-terminals-title' },
      h('h3', { id: 'transit-terminals-title', t: 'org.transit.terminals' }), terminals.body, form.element))
  reload()
  return onLangChange(reload)
}

function agencyList (ids) {
  if (!ids.length) return null
  return h('ul', { class: 'org-list' }, ids.map((id) => h('li', { class: 'org-list__item mono', testid: 'transit-agency', dataset: { agencyId: id } }, id)))
}

function terminalList ({ active, routes, sites }) {
  if (!active.length) return null
  return h('ul', { class: 'cards' }, active.map((term) => h('li', { class: 'card item', testid: 'transit-terminal', dataset: { terminalId: term.id, routeId: routes.get(term.id) ?? '' } },
    h('h4', { class: 'item__title', testid: 'transit-terminal-name' }, term.name),
    h('dl', { class: 'facts' },
      h('dt', { t: 'org.terminals.site' }), h('dd', {}, sites.get(term.site_id) ?? term.site_id),
      h('dt', { t: 'org.transit.route' }), routes.has(term.id)
        ? h('dd', { class: 'mono', testid: 'transit-terminal-route' }, routes.get(term.id))
        : h('dd', { testid: 'transit-terminal-route', t: 'org.transit.anyRoute' })))))
}

function routeForm (ctx, onSet) {
  const terminal = field({ id: 'route-terminal-select', label: 'org.transit.terminal', testid: 'route-terminal-select', type: 'select' })
  const route = field({ id: 'route-id-input', label: 'org.transit.routeId', testid: 'route-id-input', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'route-id-hint' })
  route.row.append(h('p', { class: 'hint', id: 'route-id-hint', t: 'org.transit.routeIdHint' }))
  const card = formCard({ testid: 'route-form', title: 'org.transit.bindTitle', rows: [terminal.row, route.row], submitLabel: 'org.transit.bind', submitTestid: 'route-submit', statusTestid: 'route-status' })
  onSubmit(card, {
    check: () => !terminal.input.value ? 'org_terminal_missing' : byteLength(route.input.value.trim()) > 64 ? 'org_route_long' : null,
    send: async () => {
      const routeId = route.input.value.trim()
      await ctx.api.post(orgPath(ctx, 'transit', 'terminals', terminal.input.value, 'route'), { route_id: routeId })
      showStatus(card.status, routeId ? 'org.transit.bound' : 'org.transit.freed', { route: routeId })
      route.input.value = ''
      onSet()
    },
    scope: 'org.routeBind'
  })
  const offer = (active, sites) => offerChoices(terminal.input, 'org.roles.pickTerminal',
    active.map((term) => ({ value: term.id, label: `${sites.get(term.site_id) ?? term.site_id} · ${term.name}` })))
  return { element: card.form, offer }
}
