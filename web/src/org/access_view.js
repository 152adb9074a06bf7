// 通行设置 (an access site's sites and gates):
//   POST /v1/orgs/{org}/access/sites/{site} {policy: staff | reservations |
//     residents, opens, closes (HH:MM local, 00:00-24:00), anti_passback,
//     allow_cards} → 200 the site with both switches. The policy is chosen
//     once (another later: 409 wrong_policy); the switches are sent as shown.
//   POST …/access/sites/{site}/gates/{terminal} {direction: in | out}: which
//     way a gate (a terminal made at that site, Terminals tab) lets people
//     through, for the anti-passback report. No route lists the directions,
//     so the page shows those set from this tab (memory only).
import { h, confirmButton, field, statusLine } from '../lib/dom.js'
import { clearStatus, showError, showStatus } from '../lib/errors.js'
import { onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { loadTerminals, orgPath } from './org_api.js'
import { formCard, minutesOf, offerChoices, onSubmit } from './forms.js'
import { loadAccessSites, policyBadge, siteChoice } from './access_common.js'

const POLICIES = ['staff', 'reservations', 'residents']
const directions = new Map() // terminal id → 'in' | 'out', set from this tab

export function renderAccessView (main, ctx) {
  const sites = panel('access-sites')
  const gates = panel('access-gates')
  const config = configForm(ctx, () => reload())
  const gate = gateForm(ctx, () => reload())
  const reload = () => {
    const data = Promise.all([loadAccessSites(ctx), loadTerminals(ctx)])
    sites.fill(async () => {
      const [list] = await data
      config.offer(list)
      return list
    }, siteList, 'org.access.sitesEmpty')
    gates.fill(async () => {
      const [list, terminals] = await data
      const names = new Map(list.map((site) => [site.id, site.name]))
      const active = terminals.filter((term) => term.active && term.scene === 'access')
      gate.offer(active, names)
      return { active, names }
    }, gateList, 'org.access.gatesEmpty')
  }
  main.append(h('h2', { t: 'org.access.title' }), h('p', { class: 'lead', t: 'org.access.lead' }),
    h('section', { class: 'org-section', 'aria-labelledby': 'access-sites-title' },
      h('h3', { id: 'access-sites-title', t: 'org.access.sites' }), sites.body, config.element),
    h('section', { class: 'org-section', 'aria-labelledby': 'access-gates-title' },
      h('h3', { id: 'access-gates-title', t: 'org.access.gates' }), h('p', { class: 'hint', t: 'org.access.gatesLead' }), gates.body, gate.element))
  reload()
  return onLangChange(reload)
}

function siteList (sites) {
  if (!sites.length) return null
  return h('ul', { class: 'cards' }, sites.map((site) => h('li', { class: 'card item', testid: 'access-site-setup', dataset: { siteId: site.id, policy: site.policy ?? '' } },
    h('h4', { class: 'item__title', testid: 'access-site-name' }, site.name),
    policyBadge(site),
    site.policy
      ? h('dl', { class: 'facts' },
        h('dt', { t: 'org.access.hours' }), h('dd', { testid: 'access-site-hours' }, `${site.opens} – ${site.closes}`),
        h('dt', { t: 'org.access.antiPassback' }), h('dd', { testid: 'access-site-passback', t: site.anti_passback ? 'org.access.on' : 'org.access.off' }),
        h('dt', { t: 'org.access.allowCards' }), h('dd', { testid: 'access-site-cards', t: site.allow_cards ? 'org.access.on' : 'org.access.off' }))
      : null)))
}

function gateList ({ active, names }) {
  if (!active.length) return null
  return h('ul', { class: 'cards' }, active.map((term) => h('li', { class: 'card item', testid: 'access-gate', dataset: { terminalId: term.id, direction: directions.get(term.id) ?? '' } },
    h('h4', { class: 'item__title', testid: 'access-gate-name' }, term.name),
    h('dl', { class: 'facts' },
      h('dt', { t: 'org.access.site' }), h('dd', { testid: 'access-gate-site' }, names.get(term.site_id) ?? term.site_id),
      h('dt', { t: 'org.access.direction' }), h('dd', { testid: 'access-gate-direction', t: directions.has(term.id) ? `org.access.dir.${directions.get(term.id)}` : 'org.access.dirUnknown' })))))
}

// 24:00 is a closing time the server takes; a time field cannot hold it.
function hoursOf (text) {
  return text === '24:00' ? 24 * 60 : minutesOf(text)
}

function configForm (ctx, onSaved) {
  const site = siteChoice({ id: 'access-config-site', testid: 'access-config-site' })
  const policy = field({ id: 'access-config-policy', label: 'org.access.policyLabel', testid: 'access-config-policy', type: 'select', 'aria-describedby': 'access-config-policy-hint' })
  policy.input.append(...POLICIES.map((p) => h('option', { value: p, t: `org.access.policy.${p}` })))
  policy.row.append(h('p', { class: 'hint', id: 'access-config-policy-hint', t: 'org.access.policyHint' }))
  const opens = field({ id: 'access-config-opens', label: 'org.access.opens', testid: 'access-config-opens', autocomplete: 'off', inputmode: 'numeric', placeholder: '00:00', 'aria-describedby': 'access-hours-hint' })
  const closes = field({ id: 'access-config-closes', label: 'org.access.closes', testid: 'access-config-closes', autocomplete: 'off', inputmode: 'numeric', placeholder: '24:00', 'aria-describedby': 'access-hours-hint' })
  const passback = toggle('access-config-passback', 'org.access.antiPassback')
  const cards = toggle('access-config-cards', 'org.access.allowCards')
  const status = statusLine('access-config-status')
  let sites = []
  // A configured site keeps its policy; its hours are shown to change.
  const fill = () => {
    const chosen = sites.find((s) => s.id === site.input.value)
    policy.input.disabled = Boolean(chosen?.policy)
    if (chosen?.policy) policy.input.value = chosen.policy
    opens.input.value = chosen?.opens ?? '00:00'
    closes.input.value = chosen?.closes ?? '24:00'
    passback.input.checked = Boolean(chosen?.anti_passback)
    cards.input.checked = Boolean(chosen?.allow_cards)
  }
  site.input.addEventListener('change', fill)
  const save = confirmButton({
    label: 'org.access.save',
    question: 'org.access.saveConfirm',
    confirmLabel: 'org.access.saveYes',
    testid: 'access-config-save',
    danger: false,
    action: async () => {
      const values = {
        policy: policy.input.value,
        opens: opens.input.value.trim(),
        closes: closes.input.value.trim(),
        anti_passback: passback.input.checked,
        allow_cards: cards.input.checked
      }
      const from = hoursOf(values.opens)
      const to = hoursOf(values.closes)
      const problem = !site.input.value ? 'org_site_missing' : Number.isNaN(from) || Number.isNaN(to) || to <= from ? 'org_hours_invalid' : null
      if (problem) return showError(status, { code: problem })
      clearStatus(status)
      try {
        const saved = await ctx.api.post(orgPath(ctx, 'access', 'sites', site.input.value), values)
        showStatus(status, 'org.access.saved', { name: saved.name ?? '' })
        onSaved()
      } catch (error) {
        showError(status, error, ['org.accessConfig', 'org'])
      }
    }
  })
  const element = h('form', { class: 'card form', testid: 'access-config-form', novalidate: true, 'aria-labelledby': 'access-config-title', onsubmit: (event) => event.preventDefault() },
    h('h3', { id: 'access-config-title', t: 'org.access.configTitle' }), site.row, policy.row,
    h('div', { class: 'field-pair' }, opens.row, closes.row), h('p', { class: 'hint', id: 'access-hours-hint', t: 'org.access.hoursHint' }),
    passback.row, cards.row, status, save)
  const offer = (list) => {
    sites = list
    site.offer(list)
    fill()
  }
  return { element, offer }
}

// A labelled checkbox, with the hint that says what it does.
function toggle (id, label) {
  const input = h('input', { type: 'checkbox', id, testid: id, 'aria-describedby': `${id}-hint` })
  const row = h('div', { class: 'field' },
    h('label', { class: 'check' }, input, ' ', h('span', { t: label })),
    h('p', { class: 'hint', id: `${id}-hint`, t: `${label}Hint` }))
  return { input, row }
}

function gateForm (ctx, onSet) {
  const terminal = field({ id: 'gate-terminal-select', label: 'org.access.gate', testid: 'gate-terminal-select', type: 'select' })
  const direction = field({ id: 'gate-direction', label: 'org.access.direction', testid: 'gate-direction', type: 'select' })
  direction.input.append(h('option', { value: 'in', t: 'org.access.dir.in' }), h('option', { value: 'out', t: 'org.access.dir.out' }))
  const card = formCard({ testid: 'gate-form', title: 'org.access.gateTitle', rows: [terminal.row, direction.row], hint: 'org.access.gateHint', submitLabel: 'org.access.gateSet', submitTestid: 'gate-submit', statusTestid: 'gate-status' })
  let siteOf = new Map()
  onSubmit(card, {
    check: () => !terminal.input.value ? 'org_terminal_missing' : null,
    send: async () => {
      const id = terminal.input.value
      await ctx.api.post(orgPath(ctx, 'access', 'sites', siteOf.get(id), 'gates', id), { direction: direction.input.value })
      directions.set(id, direction.input.value)
      showStatus(card.status, 'org.access.gateDone')
      onSet()
    },
    scope: 'org.gate'
  })
  const offer = (active, names) => {
    siteOf = new Map(active.map((term) => [term.id, term.site_id]))
    offerChoices(terminal.input, 'org.roles.pickTerminal', active.map((term) => ({ value: term.id, label: `${names.get(term.site_id) ?? term.site_id} · ${term.name}` })))
  }
  return { element: card.form, offer }
}
