// The citizen page: who is here (session, device), which view shows, and the
// silent credential renewal. Views live in their own files; the tabs in tabs.js.
import { createApi } from '../lib/api.js'
import { clockOffset, onClockOffset, setClockOffset } from '../lib/clock.js'
import { h, clear } from '../lib/dom.js'
import { applyLang, onLangChange } from '../lib/i18n.js'
import { readState, writeState } from '../lib/store.js'
import { mountLangSwitch } from '../lib/lang_switch.js'
import { forgetDevice, loadDevice, makeLiveCode, needsRenewal, renewDevice } from './device.js'
import { forgetSession, loadSession, saveSession, sessionHeaders } from './session.js'
import { AUTH_VIEWS } from './auth_views.js'
import { TABS } from './tabs.js'

const state = {
  session: null, // {token, expires_at, citizen_id}
  device: null, // device.js record
  demo: null, // GET /v1/demo, or null off a demo server
  draft: null, // {name, idNumber, phone, password}: registration, in memory only
  view: null,
  cleanup: null
}

const api = createApi({
  headers: () => sessionHeaders(state.session),
  onUnauthenticated: (error) => {
    // Only an ended session, not a wrong password at login.
    if (state.session && error.code === 'unauthenticated') sessionEnded()
  }
})

const ctx = { api, state, show, setSession, logout, renewNow, maybeRenew, sessionEnded, setDevice }

export async function start () {
  mountLangSwitch(document.getElementById('lang-switch-slot'))
  applyLang(document)
  // Labels re-translate in place (forms keep what was typed); tabs showing
  // data re-render for its dates and amounts.
  onLangChange(() => {
    const tab = TABS.find((candidate) => candidate.id === state.view?.name)
    if (tab && tab.id !== 'code') show(tab.id, state.view.params, { keepFocus: true })
  })
  setClockOffset(await readState('clockOffset'))
  onClockOffset((ms) => writeState('clockOffset', ms))
  state.session = (await loadSession()) ?? null
  state.device = (await loadDevice()) ?? null
  exposeTestHooks()
  registerServiceWorker()
  window.addEventListener('online', () => maybeRenew({ force: true }))
  if (state.session || state.device) show('code')
  else show('login')
  state.demo = await api.get('/v1/demo').catch(() => null)
  // The views that offer the demo's helpers, drawn before the answer came.
  if (['confirm', 'identity'].includes(state.view?.name)) show(state.view.name, state.view.params, { keepFocus: true })
  maybeRenew()
}

// Shows a view by name: an auth view (login, register, …) or a tab.
export function show (name, params = {}, { keepFocus = false } = {}) {
  state.cleanup?.()
  state.cleanup = null
  const main = clear(document.getElementById('main'))
  const tab = TABS.find((candidate) => candidate.id === name)
  renderNav(tab ? name : null)
  const render = tab ? tab.render : AUTH_VIEWS[name]
  state.view = { name, params }
  state.cleanup = render(main, ctx, params) ?? null
  if (!keepFocus) main.focus({ preventScroll: true })
}

function renderNav (activeTab) {
  const nav = clear(document.getElementById('tabs'))
  const signedIn = Boolean(state.session || state.device)
  nav.hidden = !signedIn
  if (!signedIn) return
  const list = h('ul', { class: 'tabs' })
  for (const tab of TABS) {
    if (tab.needsSession && !state.session) continue
    list.append(h('li', {},
      h('button', {
        type: 'button',
        class: 'tab',
        t: tab.label,
        testid: `tab-${tab.id}`,
        'aria-current': tab.id === activeTab ? 'page' : false,
        onclick: () => show(tab.id)
      })))
  }
  list.append(h('li', { class: 'tabs__end' }, state.session
    ? h('button', { type: 'button', class: 'tab tab--quiet', t: 'nav.logout', testid: 'logout', onclick: logout })
    : h('button', { type: 'button', class: 'tab tab--quiet', t: 'nav.login', testid: 'nav-login', onclick: () => show('login') })))
  nav.append(list)
}

async function setSession (session) {
  state.session = session
  await saveSession(session)
}

async function setDevice (device) {
  state.device = device
  if (!device) await forgetDevice()
}

// The server ended the session: the code keeps working from the stored
// credential until it expires; the page asks to log in again.
async function sessionEnded () {
  state.session = null
  await forgetSession()
  const tab = TABS.find((candidate) => candidate.id === state.view?.name)
  show(tab && !tab.needsSession ? tab.id : state.device ? 'code' : 'login', {}, { keepFocus: true })
}

// Log-out ends the session and this browser's device: a shared browser
// keeps no code of the person who left.
async function logout () {
  const { session, device } = state
  if (session && device) await api.del(`/v1/me/devices/${encodeURIComponent(device.deviceId)}`).catch(() => {})
  if (session) await api.del('/v1/sessions/current').catch(() => {})
  state.session = null
  state.device = null
  state.draft = null
  await forgetSession()
  await forgetDevice()
  show('login')
}

let renewing = null

// Renews the credential when online, logged in and it is past half its life;
// `force` (the network came back) renews whatever its age.
export function maybeRenew ({ force = false } = {}) {
  const { session, device } = state
  if (!session || !device || renewing || !navigator.onLine) return renewing
  if (!force && !needsRenewal(device)) return null
  return renewNow()
}

async function renewNow () {
  if (renewing) return renewing
  renewing = (async () => {
    try {
      state.device = await renewDevice(api, state.device)
      document.dispatchEvent(new CustomEvent('citycode:credential', { detail: state.device }))
    } catch (error) {
      // A device ended elsewhere (reported lost): forget it here too.
      if (error.code === 'not_found' || error.code === 'failed_precondition') {
        state.device = null
        await forgetDevice()
        if (state.view?.name === 'code') show('code', {}, { keepFocus: true })
      }
    } finally {
      renewing = null
    }
    return state.device
  })()
  return renewing
}

// Hooks for the browser tests (no secret in them: they only time the maker).
function exposeTestHooks () {
  window.citycode = {
    async makeCodeTimings (count = 100) {
      if (!state.device) throw new Error('no device enrolled')
      const timings = []
      for (let i = 0; i < count; i++) {
        const start = performance.now()
        await makeLiveCode(state.device)
        timings.push(performance.now() - start)
      }
      return timings
    },
    clockOffsetMs: () => clockOffset(),
    renewNow: () => renewNow(),
    credentialExpiresAt: () => state.device?.expiresAt ?? null
  }
}

function registerServiceWorker () {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {})
}
