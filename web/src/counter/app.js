// The counter page: the terminal logs in with its API key (sessionStorage,
// this tab only), a staff member signs in where someone works the counter,
// then codes are read and the terminal's step (steps/index.js) acts on them.
import { createApi } from '../lib/api.js'
import { h, clear, field, statusLine } from '../lib/dom.js'
import { applyLang } from '../lib/i18n.js'
import { showError, showStatus } from '../lib/errors.js'
import { mountLangSwitch } from '../lib/lang_switch.js'
import { decodeImage, scanner } from './scanner.js'
import { verdictBox } from './verdict.js'
import { stepFor } from './steps/index.js'

const KEY_STORAGE = 'citycode.terminalKey'
const STAFF_STORAGE = 'citycode.staffSession'
const ROLE_STORAGE = 'citycode.hallRole'

// Gates nobody stands at: they scan without a clerk. Every other terminal
// (the hall's kiosk and windows, a hotel's front desk, …) needs one signed in.
const UNATTENDED_SCENES = new Set(['transit', 'access'])
const needsStaff = (terminal) => !UNATTENDED_SCENES.has(terminal.scene)

const state = {
  key: sessionStorage.getItem(KEY_STORAGE),
  staff: readJson(sessionStorage.getItem(STAFF_STORAGE)),
  terminal: null,
  cleanup: null
}

function readJson (text) {
  try { return text ? JSON.parse(text) : null } catch { return null }
}

const api = createApi({
  headers: () => ({
    ...(state.key ? { Authorization: `Bearer ${state.key}` } : {}),
    ...(state.staff?.token ? { 'X-Staff-Session': state.staff.token } : {})
  }),
  // A staff session that ended (expired, signed out elsewhere): sign in
  // again. (Before the terminal is known, start() does that itself.)
  onUnauthenticated: (error) => {
    if (error.code !== 'staff_session_invalid') return
    dropStaff()
    if (state.terminal) showStaffLogin('staff_session_ended')
  }
})

function dropStaff () {
  state.staff = null
  sessionStorage.removeItem(STAFF_STORAGE)
}

// The terminal as the server describes it; a hall terminal also learns
// whether it is a window (and which) or the kiosk, and the service items.
async function loadTerminal () {
  const terminal = await api.get('/v1/terminal')
  if (terminal.scene === 'gov') {
    try {
      const hall = await api.get('/v1/gov/terminal')
      terminal.window = hall.window ?? null
      terminal.service_items = hall.service_items ?? []
    } catch (error) {
      // A server without the route: the clerk picks kiosk or window (hallRolePicker).
      if (error.status !== 404) throw error
    }
  }
  showWhere(terminal)
  return terminal
}

// The header names where this terminal is: organisation · site.
function showWhere (terminal) {
  const where = document.getElementById('terminal-where')
  if (!where) return
  const names = terminal ? [terminal.org_name, terminal.site_name].filter(Boolean) : []
  where.replaceChildren(...names.flatMap((name, i) => [i ? ' · ' : '', h('span', { testid: i ? 'header-site' : 'header-org' }, name)]))
  where.hidden = names.length === 0
}

export async function start () {
  mountLangSwitch(document.getElementById('lang-switch-slot'))
  applyLang(document)
  window.citycodeCounter = { decodeImage, submitCode: null }
  if (!state.key) return showTerminalLogin()
  try {
    state.terminal = await loadTerminal()
  } catch (error) {
    if (error.code !== 'staff_session_invalid') return showTerminalLogin(error)
    // The tab's staff session ended meanwhile (dropped by onUnauthenticated):
    // load the terminal without it, then ask for the sign-in again.
    try {
      state.terminal = await loadTerminal()
    } catch (failure) {
      return showTerminalLogin(failure)
    }
    return showStaffLogin('staff_session_ended')
  }
  afterTerminal()
}

// With the terminal known: the staff sign-in where a clerk is needed, else scan.
function afterTerminal () {
  if (needsStaff(state.terminal) && !state.staff?.token) return showStaffLogin()
  showCounter()
}

function view () {
  state.cleanup?.()
  state.cleanup = null
  const main = clear(document.getElementById('main'))
  main.focus({ preventScroll: true })
  return main
}

function showTerminalLogin (error) {
  const main = view()
  const key = field({ id: 'terminal-key', label: 'terminal.key', testid: 'terminal-key', type: 'password', autocomplete: 'off', spellcheck: 'false' })
  const status = statusLine('terminal-status')
  if (error) showError(status, error.code === 'unauthenticated' ? { code: 'terminal_key_refused' } : error)
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'terminal.submit', testid: 'terminal-submit' })
  const form = h('form', { class: 'card form', testid: 'terminal-form', novalidate: true }, key.row, status, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const value = key.input.value.trim()
    if (!value) return showError(status, { code: 'terminal_key_missing' })
    submit.disabled = true
    state.key = value
    try {
      state.terminal = await loadTerminal()
      sessionStorage.setItem(KEY_STORAGE, value)
      afterTerminal()
    } catch (failure) {
      state.key = null
      showError(status, failure.code === 'unauthenticated' ? { code: 'terminal_key_refused' } : failure)
      submit.disabled = false
    }
  })
  main.append(h('h2', { t: 'terminal.title' }), h('p', { class: 'lead', t: 'terminal.lead' }), form)
  key.input.focus()
}

// Contract H: POST /v1/terminal/staff-sessions {login, password} → {token, staff}.
function showStaffLogin (reasonCode) {
  const main = view()
  const login = field({ id: 'staff-login', label: 'staff.login', testid: 'staff-login', autocomplete: 'username', spellcheck: 'false' })
  const password = field({ id: 'staff-password', label: 'staff.password', testid: 'staff-password', type: 'password', autocomplete: 'current-password' })
  const status = statusLine('staff-status')
  if (reasonCode) showError(status, { code: reasonCode })
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'staff.submit', testid: 'staff-submit' })
  const form = h('form', { class: 'card form', testid: 'staff-form', novalidate: true }, login.row, password.row, status, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (!login.input.value.trim() || !password.input.value) return showError(status, { code: 'staff_missing' })
    submit.disabled = true
    showStatus(status, 'staff.working')
    try {
      const session = await api.post('/v1/terminal/staff-sessions', { login: login.input.value.trim(), password: password.input.value })
      state.staff = { token: session.token, staff: session.staff, expires_at: session.expires_at }
      // The tab keeps the token; the clerk's name stays in memory only.
      sessionStorage.setItem(STAFF_STORAGE, JSON.stringify({ token: session.token, staff: { id: session.staff?.id }, expires_at: session.expires_at }))
      showCounter()
    } catch (error) {
      showError(status, error.code === 'unauthenticated' ? { code: 'staff_refused' } : error)
      submit.disabled = false
    }
  })
  main.append(h('h2', { t: 'staff.title' }), terminalFacts(), h('p', { class: 'lead', t: 'staff.lead' }), form,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button button--link', t: 'terminal.forget', testid: 'terminal-forget', onclick: forgetTerminal })))
  login.input.focus()
}

function terminalFacts () {
  const tm = state.terminal
  const windowName = tm.window?.name
  return h('dl', { class: 'facts', testid: 'terminal-info', dataset: { scene: tm.scene } },
    h('dt', { t: 'terminal.org' }), h('dd', { testid: 'terminal-org' }, tm.org_name ?? tm.org_id),
    h('dt', { t: 'terminal.site' }), h('dd', { testid: 'terminal-site' }, tm.site_name ?? tm.site_id),
    h('dt', { t: 'terminal.scene' }), h('dd', { t: `scene.${tm.scene}` }),
    windowName ? [h('dt', { t: 'terminal.window' }), h('dd', { testid: 'terminal-window' }, windowName)] : null,
    state.staff?.staff ? [h('dt', { t: 'staff.who' }), h('dd', { testid: 'staff-name' }, state.staff.staff.name ?? state.staff.staff.id)] : null)
}

async function signOutStaff () {
  await api.del('/v1/terminal/staff-sessions/current').catch(() => {})
  dropStaff()
  showStaffLogin()
}

async function forgetTerminal () {
  if (state.staff) await api.del('/v1/terminal/staff-sessions/current').catch(() => {})
  sessionStorage.removeItem(KEY_STORAGE)
  sessionStorage.removeItem(STAFF_STORAGE)
  state.key = null
  state.staff = null
  state.terminal = null
  showWhere(null)
  showTerminalLogin()
}

// A gov terminal on a server that does not say whether it is a window
// (no GET /v1/gov/terminal): the clerk says.
function hallRolePicker () {
  const tm = state.terminal
  if (tm.scene !== 'gov' || 'window' in tm) return null
  const select = field({ id: 'hall-role', label: 'terminal.hallRole', testid: 'hall-role', type: 'select' })
  select.input.append(h('option', { value: 'kiosk', t: 'terminal.kiosk' }), h('option', { value: 'window', t: 'terminal.windowRole' }))
  select.input.value = tm.hallRole
  select.input.addEventListener('change', () => {
    sessionStorage.setItem(ROLE_STORAGE, select.input.value)
    showCounter()
  })
  return select.row
}

function showCounter () {
  const main = view()
  const tm = state.terminal
  if (tm.scene === 'gov' && !('window' in tm)) tm.hallRole = sessionStorage.getItem(ROLE_STORAGE) ?? 'kiosk'
  const verdict = verdictBox()
  const step = stepFor(tm)
  const stepArea = h('div', { class: 'step', testid: `step-${step.id}` })
  const ctx = { api, terminal: tm, verdict }
  const mounted = step.mount(stepArea, ctx)
  const reader = scanner({ action: step.action, onCode: (code) => mounted.onCode(code) })
  window.citycodeCounter.submitCode = reader.submitCode
  state.cleanup = () => { reader.stop(); mounted.stop?.() }
  main.append(
    h('section', { class: 'card terminal-bar', 'aria-labelledby': 'terminal-title' },
      h('div', {}, h('h2', { id: 'terminal-title', t: `stepTitle.${step.id}` }), terminalFacts()),
      h('div', { class: 'actions' }, hallRolePicker(),
        state.staff?.token ? h('button', { type: 'button', class: 'button button--secondary', t: 'staff.signOut', testid: 'staff-sign-out', onclick: signOutStaff }) : null,
        h('button', { type: 'button', class: 'button button--link', t: 'terminal.forget', testid: 'terminal-forget', onclick: forgetTerminal }))),
    h('div', { class: 'counter-grid' },
      // What a step needs chosen before the scan (the kiosk's service item)
      // stands above the reader, also on a phone's single column.
      h('div', { class: 'scan-area' }, mounted.beforeScan ?? null, reader.card),
      h('div', { class: 'scan-area' }, h('section', { 'aria-labelledby': 'verdict-title' }, h('h2', { id: 'verdict-title', t: 'verdict.title' }), verdict.box), stepArea)),
    // What a step lists beside the scanning (a hotel's stays) runs the page's width.
    ...(mounted.below ? [mounted.below] : []))
}
