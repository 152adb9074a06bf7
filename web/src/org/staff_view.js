// 工作人员 (staff): the accounts clerks sign in with at the organisation's
// counters (GET /v1/orgs/{org}/staff), a new one (POST …/staff {login,
// name, password}) and disabling one (POST …/staff/{id}/disable, two
// steps: its sessions end at once). The password goes in the body only; the
// form is emptied once the account is made.
import { h, confirmButton, field, statusLine } from '../lib/dom.js'
import { formatDateTime, onLangChange } from '../lib/i18n.js'
import { showError, showStatus } from '../lib/errors.js'
import { panel } from '../lib/panel.js'
import { byteLength, nameProblem, orgPath } from './org_api.js'
import { formCard, onSubmit } from './forms.js'

// The server's rules (platform/staff.cc), checked first so they are said in words.
const LOGIN_PATTERN = /^[a-z0-9._-]{1,32}$/
const PASSWORD_MIN = 8
const PASSWORD_MAX = 1024

export function renderStaffView (main, ctx) {
  const list = panel('staff')
  const reload = () => list.fill(async () => (await ctx.api.get(orgPath(ctx, 'staff'))).staff ?? [],
    (staff) => staff.length ? h('ul', { class: 'cards' }, staff.map((member) => memberCard(ctx, member, reload))) : null,
    'org.staff.empty')
  main.append(h('h2', { t: 'org.staff.title' }), h('p', { class: 'lead', t: 'org.staff.lead' }),
    staffForm(ctx, reload),
    h('section', { 'aria-labelledby': 'staff-list-title' }, h('h3', { id: 'staff-list-title', t: 'org.staff.list' }), list.body))
  reload()
  // The dates follow the language.
  return onLangChange(reload)
}

function memberCard (ctx, member, reload) {
  const status = statusLine('staff-status')
  return h('li', { class: 'card item', testid: 'staff-member', dataset: { staffId: member.id, active: String(member.active) } },
    h('h4', { class: 'item__title', testid: 'staff-member-name' }, member.name || member.login),
    h('span', { class: `badge ${member.active ? 'badge--ok' : 'badge--muted'}`, testid: 'staff-member-state', t: member.active ? 'org.staff.active' : 'org.staff.disabled' }),
    h('dl', { class: 'facts' },
      h('dt', { t: 'org.staff.login' }), h('dd', { class: 'mono', testid: 'staff-member-login' }, member.login),
      h('dt', { t: 'org.staff.since' }), h('dd', {}, formatDateTime(member.created_at))),
    member.active
      ? confirmButton({
        label: 'org.staff.disable',
        question: 'org.staff.disableConfirm',
        confirmLabel: 'org.staff.disableYes',
        testid: 'staff-disable',
        action: async () => {
          try {
            await ctx.api.post(orgPath(ctx, 'staff', member.id, 'disable'))
            reload()
          } catch (error) {
            showError(status, error, ['org.staffDisable', 'org'])
          }
        }
      })
      : null,
    status)
}

function staffProblem (login, name, password) {
  if (!LOGIN_PATTERN.test(login)) return 'org_staff_login_invalid'
  const nameCode = nameProblem(name, 200, 'org_staff_name_missing', 'org_name_long')
  if (nameCode) return nameCode
  const bytes = byteLength(password)
  return bytes < PASSWORD_MIN || bytes > PASSWORD_MAX ? 'org_staff_password_length' : null
}

function staffForm (ctx, reload) {
  const login = field({ id: 'staff-new-login', label: 'org.staff.login', testid: 'staff-new-login', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'staff-login-hint' })
  const name = field({ id: 'staff-new-name', label: 'org.staff.name', testid: 'staff-new-name', autocomplete: 'off' })
  const password = field({ id: 'staff-new-password', label: 'org.staff.password', testid: 'staff-new-password', type: 'password', autocomplete: 'new-password', 'aria-describedby': 'staff-password-hint' })
  login.row.append(h('p', { class: 'hint', id: 'staff-login-hint', t: 'org.staff.loginHint' }))
  password.row.append(h('p', { class: 'hint', id: 'staff-password-hint', t: 'org.staff.passwordHint' }))
  const card = formCard({ testid: 'staff-form', title: 'org.staff.createTitle', rows: [login.row, name.row, password.row], submitLabel: 'org.staff.create', submitTestid: 'staff-create', statusTestid: 'staff-create-status' })
  const values = () => ({ login: login.input.value.trim(), name: name.input.value.trim(), password: password.input.value })
  onSubmit(card, {
    check: () => { const v = values(); return staffProblem(v.login, v.name, v.password) },
    scope: 'org.staffCreate',
    send: async () => {
      const member = await ctx.api.post(orgPath(ctx, 'staff'), values())
      for (const input of [login.input, name.input, password.input]) input.value = ''
      showStatus(card.status, 'org.staff.created', { login: member.login })
      reload()
    }
  })
  return card.form
}
