// 终端 (terminals): the organisation's counters, kiosks and gates (GET
// /v1/orgs/{org}/terminals), each by name with its site, scene and state.
// A new one at a site (POST …/terminals {site_id, name} → 201 with its
// api_key), a new key for one (POST …/terminals/{id}/rotate-key → 201
// {key_id, api_key}: the old key stops at once), and disabling one (DELETE
// …/terminals/{id}: its key stops), both in two steps. A key is shown once
// (key_once.js). An issuing agency runs no terminals: the server refuses
// (failed_precondition), said in words.
import { h, confirmButton, field, statusLine } from '../lib/dom.js'
import { showError, showStatus } from '../lib/errors.js'
import { panel } from '../lib/panel.js'
import { loadSites, loadTerminals, nameProblem, orgPath, siteNames } from './org_api.js'
import { dropKeyOnce, showKeyOnce } from './key_once.js'
import { formCard, offerChoices, onSubmit } from './forms.js'

export function renderTerminalsView (main, ctx) {
  const keySlot = h('div', { class: 'key-once-slot' })
  const list = panel('terminals')
  const form = terminalForm(ctx, (terminal, apiKey) => {
    showKeyOnce(keySlot, { terminal, apiKey })
    reload()
  })
  const reload = () => list.fill(async () => {
    const [sites, terminals] = await Promise.all([loadSites(ctx), loadTerminals(ctx)])
    form.offerSites(sites)
    return { sites: siteNames(sites), terminals }
  }, ({ sites, terminals }) => terminals.length
    ? h('ul', { class: 'cards' }, terminals.map((terminal) => terminalCard(ctx, terminal, sites, keySlot, reload)))
    : null, 'org.terminals.empty')
  main.append(h('h2', { t: 'org.terminals.title' }), h('p', { class: 'lead', t: 'org.terminals.lead' }),
    keySlot, form.element,
    h('section', { 'aria-labelledby': 'terminals-list-title' }, h('h3', { id: 'terminals-list-title', t: 'org.terminals.list' }), list.body))
  reload()
}

function terminalCard (ctx, terminal, sites, keySlot, reload) {
  const status = statusLine('terminal-status')
  const path = orgPath(ctx, 'terminals', terminal.id)
  const rotate = confirmButton({
    label: 'org.terminals.rotate',
    question: 'org.terminals.rotateConfirm',
    confirmLabel: 'org.terminals.rotateYes',
    testid: 'terminal-rotate',
    danger: false,
    action: async () => {
      try {
        const key = await ctx.api.post(`${path}/rotate-key`)
        showKeyOnce(keySlot, { terminal, apiKey: key.api_key, rotated: true })
      } catch (error) {
        showError(status, error, ['org.terminalRotate', 'org'])
      }
    }
  })
  const disable = confirmButton({
    label: 'org.terminals.disable',
    question: 'org.terminals.disableConfirm',
    confirmLabel: 'org.terminals.disableYes',
    testid: 'terminal-disable',
    action: async () => {
      try {
        await ctx.api.del(path)
        dropKeyOnce(keySlot, terminal.id)
        reload()
      } catch (error) {
        showError(status, error, ['org.terminalDisable', 'org'])
      }
    }
  })
  return h('li', { class: 'card item', testid: 'terminal', dataset: { terminalId: terminal.id, active: String(terminal.active) } },
    h('h4', { class: 'item__title', testid: 'terminal-name' }, terminal.name),
    h('span', { class: `badge ${terminal.active ? 'badge--ok' : 'badge--muted'}`, testid: 'terminal-state', t: terminal.active ? 'org.terminals.active' : 'org.terminals.disabled' }),
    h('dl', { class: 'facts' },
      h('dt', { t: 'org.terminals.site' }), h('dd', { testid: 'terminal-site' }, sites.get(terminal.site_id) ?? terminal.site_id),
      h('dt', { t: 'org.terminals.scene' }), h('dd', { testid: 'terminal-scene', t: `scene.${terminal.scene}` })),
    terminal.active ? h('div', { class: 'actions' }, rotate, disable) : null,
    status)
}

// The new terminal's form; offerSites fills its site choice (a site keeps
// being chosen across reloads).
function terminalForm (ctx, onCreated) {
  const site = field({ id: 'terminal-site-select', label: 'org.terminals.site', testid: 'terminal-site-select', type: 'select' })
  const name = field({ id: 'terminal-name-input', label: 'org.terminals.name', testid: 'terminal-name-input', autocomplete: 'off' })
  const card = formCard({ testid: 'terminal-form', title: 'org.terminals.createTitle', rows: [site.row, name.row], hint: 'org.terminals.createHint', submitLabel: 'org.terminals.create', submitTestid: 'terminal-create', statusTestid: 'terminal-create-status' })
  onSubmit(card, {
    check: () => !site.input.value ? 'org_site_missing' : nameProblem(name.input.value.trim(), 200, 'org_name_missing', 'org_name_long'),
    scope: 'org.terminalCreate',
    send: async () => {
      const made = await ctx.api.post(orgPath(ctx, 'terminals'), { site_id: site.input.value, name: name.input.value.trim() })
      name.input.value = ''
      showStatus(card.status, 'org.terminals.created', { name: made.name })
      onCreated(made, made.api_key)
    }
  })
  const offerSites = (sites) => offerChoices(site.input, 'org.terminals.pickSite', sites.map((s) => ({ value: s.id, label: s.name })))
  return { element: card.form, offerSites }
}
