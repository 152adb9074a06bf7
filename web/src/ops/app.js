// The operator dashboard: the city's platform admin signs in with the admin
// API key (sessionStorage, this tab only), then GET /v1/ops/dashboard?hours=N
// is asked every 3 s while the tab is shown (poller.js) and the sections
// (dashboard.js) are brought up to date in place. Only the admin key opens
// it: an organisation's or a terminal's key is refused (403) in words.
import { createApi } from '../lib/api.js'
import { h, clear, field } from '../lib/dom.js'
import { CITY_TIME_ZONE, applyLang, currentLang, onLangChange } from '../lib/i18n.js'
import { showError, showStatus } from '../lib/errors.js'
import { isKeyRefusal, keyRefusal, keyStore, showKeySignIn } from '../lib/key_sign_in.js'
import { mountLangSwitch } from '../lib/lang_switch.js'
import { createPoller } from './poller.js'
import { createDashboard } from './dashboard.js'

const POLL_MS = 3000
const WINDOWS = [6, 24, 168] // hours; 24 is the server's default
const DEFAULT_HOURS = 24
// 401: unknown or revoked; 403: a key of another role (org admin, terminal).
const REFUSALS = { unauthenticated: 'ops_key_refused', permission_denied: 'ops_key_not_admin' }

const key = keyStore('citycode.opsKey')
const state = {
  hours: DEFAULT_HOURS,
  poller: null
}

const api = createApi({ headers: key.headers })

const dashboardPath = () => `/v1/ops/dashboard?hours=${state.hours}`

export async function start () {
  mountLangSwitch(document.getElementById('lang-switch-slot'))
  applyLang(document)
  if (!key.get()) return showSignIn()
  let first
  try {
    first = await api.get(dashboardPath())
  } catch (error) {
    // A refused key is forgotten; one not checked (offline) stays for a reload.
    if (isKeyRefusal(error)) key.forget()
    return showSignIn(error)
  }
  showDashboard(first)
}

function mainArea () {
  state.poller?.stop()
  state.poller = null
  const main = clear(document.getElementById('main'))
  main.focus({ preventScroll: true })
  return main
}

function showSignIn (error) {
  showSignedIn(false)
  showKeySignIn(mainArea(), {
    prefix: 'ops',
    store: key,
    codes: REFUSALS,
    error,
    tryKey: () => api.get(dashboardPath()),
    onSignedIn: showDashboard
  })
}

function signOut (reasonCode) {
  key.forget()
  showSignIn(reasonCode ? { code: reasonCode } : null)
}

// The header says who is signed in; the nav holds the sign-out.
function showSignedIn (signedIn) {
  const where = document.getElementById('ops-where')
  where.replaceChildren(...(signedIn ? [h('span', { testid: 'header-role', t: 'ops.role' })] : []))
  where.hidden = !signedIn
  const nav = clear(document.getElementById('tabs'))
  nav.hidden = !signedIn
  if (!signedIn) return
  nav.append(h('ul', { class: 'tabs' },
    h('li', {}, h('span', { class: 'tab', 'aria-current': 'page', t: 'ops.tab.dashboard' })),
    h('li', { class: 'tabs__end' },
      h('button', { type: 'button', class: 'tab tab--quiet', t: 'ops.signOut', testid: 'ops-sign-out', onclick: () => signOut() }))))
}

function showDashboard (first) {
  showSignedIn(true)
  const main = mainArea()
  const dashboard = createDashboard()
  const live = h('p', { class: 'ops-live', testid: 'ops-live' })
  const windowSelect = field({ id: 'ops-window', label: 'ops.window', testid: 'ops-window', type: 'select' })
  windowSelect.input.append(...WINDOWS.map((hours) => h('option', { value: String(hours), t: `ops.window.${hours}` })))
  windowSelect.input.value = String(state.hours)
  main.append(h('h2', { t: 'ops.heading' }),
    h('div', { class: 'ops-bar' }, windowSelect.row, live),
    dashboard.element)

  const poller = createPoller({
    intervalMs: POLL_MS,
    load: () => api.get(dashboardPath()),
    onData: (data) => {
      // An answer for the window chosen before: the next one is on its way.
      if (data.hours !== state.hours) return
      dashboard.update(data)
      showLive(live, data)
    },
    onError: (error) => {
      if (isKeyRefusal(error)) return signOut(keyRefusal(error, REFUSALS).code)
      showLiveError(live, error)
    }
  })
  state.poller = poller
  windowSelect.input.addEventListener('change', () => {
    state.hours = Number(windowSelect.input.value)
    poller.now()
  })
  const unsubscribe = onLangChange(() => { dashboard.relabel(); if (poller.last) showLive(live, poller.last) })
  poller.onStop(unsubscribe)
  poller.start(first)
}

// The time of the figures shown (the server's, in city time), not announced:
// a line changing every 3 s would drown a screen reader.
function showLive (line, data) {
  line.classList.remove('ops-live--error')
  line.removeAttribute('role')
  line.dataset.generatedAt = data.generated_at
  line.dataset.hours = String(data.hours)
  showStatus(line, 'ops.updated', { time: formatClock(data.generated_at) })
}

function showLiveError (line, error) {
  line.setAttribute('role', 'alert')
  showError(line, error.code === 'network' ? { code: 'ops_offline' } : error)
  line.classList.add('ops-live--error')
}

function formatClock (iso) {
  return new Intl.DateTimeFormat(currentLang(), {
    dateStyle: 'medium', timeStyle: 'medium', timeZone: CITY_TIME_ZONE
  }).format(new Date(iso))
}
