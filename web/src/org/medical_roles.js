// 终端角色 (what each of a hospital's terminals may do): GET
// /v1/orgs/{org}/medical/terminals (the terminals that have a role), POST …
// {terminal_id, role: kiosk | desk | pharmacy, clinician_id (a desk's, of
// the hospital; only for a desk)} → 200, replacing any role it had. A
// terminal without a role may only list slots. Refusals:
// terminal_of_another_hospital, failed_precondition (disabled),
// invalid_argument (a desk without its clinician).
import { h, field } from '../lib/dom.js'
import { showStatus } from '../lib/errors.js'
import { onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { loadSites, loadTerminals, orgPath, siteNames } from './org_api.js'
import { formCard, offerChoices, onSubmit } from './forms.js'
import { clinicianLabel, loadStaffing } from './medical_view.js'

const ROLES = ['kiosk', 'desk', 'pharmacy']

export function renderRolesView (main, ctx) {
  const list = panel('medical-terminals')
  const form = roleForm(ctx, () => reload())
  const reload = () => list.fill(async () => {
    const [roles, terminals, sites, staffing] = await Promise.all([
      ctx.api.get(orgPath(ctx, 'medical', 'terminals')), loadTerminals(ctx), loadSites(ctx), loadStaffing(ctx)])
    const data = { roles: new Map((roles.terminals ?? []).map((r) => [r.terminal_id, r])), terminals, sites: siteNames(sites), ...staffing }
    form.offer(data)
    return data
  }, terminalList, 'org.roles.empty')
  main.append(h('h2', { t: 'org.roles.title' }), h('p', { class: 'lead', t: 'org.roles.lead' }),
    h('section', { class: 'org-section', 'aria-labelledby': 'roles-list-title' },
      h('h3', { id: 'roles-list-title', t: 'org.roles.list' }), list.body),
    form.element)
  reload()
  return onLangChange(reload)
}

function terminalList ({ roles, terminals, sites, clinicians, departments }) {
  const active = terminals.filter((term) => term.active)
  if (!active.length) return null
  return h('ul', { class: 'cards' }, active.map((term) => {
    const role = roles.get(term.id)
    const clinician = clinicians.find((c) => c.id === role?.clinician_id)
    return h('li', { class: 'card item', testid: 'medical-terminal', dataset: { terminalId: term.id, role: role?.role ?? '' } },
      h('h4', { class: 'item__title', testid: 'medical-terminal-name' }, term.name),
      h('span', { class: `badge ${role ? 'badge--ok' : 'badge--muted'}`, testid: 'medical-terminal-role', t: role ? `org.roles.role.${role.role}` : 'org.roles.none' }),
      h('dl', { class: 'facts' },
        h('dt', { t: 'org.terminals.site' }), h('dd', {}, sites.get(term.site_id) ?? term.site_id),
        clinician ? [h('dt', { t: 'org.roles.clinician' }), h('dd', { testid: 'medical-terminal-clinician' }, clinicianLabel(clinician, departments))] : null))
  }))
}

function roleForm (ctx, onSet) {
  const terminal = field({ id: 'role-terminal-select', label: 'org.roles.terminal', testid: 'role-terminal-select', type: 'select' })
  const role = field({ id: 'role-select', label: 'org.roles.roleLabel', testid: 'role-select', type: 'select' })
  role.input.append(...ROLES.map((r) => h('option', { value: r, t: `org.roles.role.${r}` })))
  const clinician = field({ id: 'role-clinician-select', label: 'org.roles.clinician', testid: 'role-clinician-select', type: 'select', 'aria-describedby': 'role-clinician-hint' })
  clinician.row.append(h('p', { class: 'hint', id: 'role-clinician-hint', t: 'org.roles.clinicianHint' }))
  // Only a desk names its clinician: the server refuses one for the others.
  const deskOnly = () => {
    clinician.input.disabled = role.input.value !== 'desk'
    clinician.row.hidden = role.input.value !== 'desk'
  }
  role.input.addEventListener('change', deskOnly)
  deskOnly()
  const card = formCard({ testid: 'role-form', title: 'org.roles.setTitle', rows: [terminal.row, role.row, clinician.row], hint: 'org.roles.setHint', submitLabel: 'org.roles.set', submitTestid: 'role-submit', statusTestid: 'role-status' })
  onSubmit(card, {
    check: () => !terminal.input.value ? 'org_terminal_missing' : role.input.value === 'desk' && !clinician.input.value ? 'org_clinician_missing' : null,
    send: async () => {
      const body = { terminal_id: terminal.input.value, role: role.input.value }
      if (body.role === 'desk') body.clinician_id = clinician.input.value
      await ctx.api.post(orgPath(ctx, 'medical', 'terminals'), body)
      showStatus(card.status, 'org.roles.setDone', { name: terminal.input.selectedOptions[0]?.textContent ?? '' })
      onSet()
    },
    scope: 'org.roleSet'
  })
  const offer = ({ terminals, sites, clinicians, departments }) => {
    offerChoices(terminal.input, 'org.roles.pickTerminal', terminals.filter((term) => term.active)
      .map((term) => ({ value: term.id, label: `${sites.get(term.site_id) ?? term.site_id} · ${term.name}` })))
    offerChoices(clinician.input, 'org.schedules.pickClinician', clinicians.map((c) => ({ value: c.id, label: clinicianLabel(c, departments) })))
  }
  return { element: card.form, offer }
}
