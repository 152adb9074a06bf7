// The organisation page: the organisation's admin signs in with its API key
// (sessionStorage, this tab only), the header names the organisation, and
// the tabs (views.js) set it up: sites, terminals, staff and what its kind
// needs. Keys of new terminals are shown once and kept nowhere.
import { createApi } from '../lib/api.js'
import { h, clear, field, statusLine } from '../lib/dom.js'
import { applyLang } from '../lib/i18n.js'
import { showError, showStatus } from '../lib/errors.js'
import { mountLangSwitch } from '../lib/lang_switch.js'
import { viewsFor } from './views.js'

const KEY_STORAGE = 'citycode.orgKey'

const state = {
  key: sessionStorage.getItem(KEY_STORAGE),
  org: null, // GET /v1/org: {id, name, kind, demo, created_at}
  view: null,
  cleanup: null
}

const api = createApi({
  headers: () => (state.key ? { Authorization: `Bearer ${state.key}` } : {}),
  // The key was revoked while the page was open: sign in again.
  onUnauthenticated: () => { if (state.org) signOut('org_key_refused') }
})

export async function start () {
  mountLangSwitch(document.getElementById('lang-switch-slot'))
  applyLang(document)
  if (!state.key) return showSignIn()
  try {
    state.org = await api.get('/v1/org')
  } catch (error) {
    // A refused key is forgotten; one not checked (offline) stays for a reload.
    if (isRefusal(error)) forgetKey()
    return showSignIn(error)
  }
  show(viewsFor(state.org.kind)[0].id)
}

// A refusal of the key in words: unknown or revoked (401), or a key of
// another role — an admin's or a terminal's (403).
function keyRefusal (error) {
  if (error.code === 'unauthenticated') return { code: 'org_key_refused' }
  if (error.code === 'permission_denied') return { code: 'org_key_not_org' }
  return error
}

function isRefusal (error) {
  return error.code === 'unauthenticated' || error.code === 'permission_denied'
}

function forgetKey () {
  state.key = null
  state.org = null
  sessionStorage.removeItem(KEY_STORAGE)
}

function mainArea () {
  state.cleanup?.()
  state.cleanup = null
  const main = clear(document.getElementById('main'))
  main.focus({ preventScroll: true })
  return main
}

function showSignIn (error) {
  showWhere()
  renderNav()
  const main = mainArea()
  const key = field({ id: 'org-key', label: 'org.key', testid: 'org-key', type: 'password', autocomplete: 'off', spellcheck: 'false' })
  const status = statusLine('org-key-status')
  if (error) showError(status, keyRefusal(error))
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'org.signIn', testid: 'org-key-submit' })
  const form = h('form', { class: 'card form', testid: 'org-key-form', novalidate: true }, key.row, status, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const value = key.input.value.trim()
    if (!value) return showError(status, { code: 'org_key_missing' })
    submit.disabled = true
    showStatus(status, 'org.signingIn')
    state.key = value
    try {
      state.org = await api.get('/v1/org')
      sessionStorage.setItem(KEY_STORAGE, value)
      show(viewsFor(state.org.kind)[0].id)
    } catch (failure) {
      state.key = null
      showError(status, keyRefusal(failure))
      submit.disabled = false
    }
  })
  main.append(h('h2', { t: 'org.signInTitle' }), h('p', { class: 'lead', t: 'org.signInLead' }), form)
  key.input.focus()
}

function signOut (reasonCode) {
  forgetKey()
  showSignIn(reasonCode ? { code: reasonCode } : null)
}

// The header names the organisation (and its kind) once signed in.
function showWhere () {
  const where = document.getElementById('org-where')
  const org = state.org
  where.replaceChildren(...(org
    ? [h('span', { testid: 'header-org' }, org.name), ' · ', h('span', { testid: 'header-org-kind', t: `orgKind.${org.kind}` }),
        ...(org.demo ? [' ', h('span', { class: 'demo-tag', t: 'demo.tag' })] : [])]
    : []))
  where.hidden = !org
}

function show (id) {
  const views = viewsFor(state.org.kind)
  const view = views.find((candidate) => candidate.id === id) ?? views[0]
  state.view = view.id
  showWhere()
  renderNav()
  const main = mainArea()
  state.cleanup = view.render(main, { api, org: state.org }) ?? null
}

function renderNav () {
  const nav = clear(document.getElementById('tabs'))
  nav.hidden = !state.org
  if (!state.org) return
  const list = h('ul', { class: 'tabs' })
  for (const view of viewsFor(state.org.kind)) {
    list.append(h('li', {}, h('button', {
      type: 'button',
      class: 'tab',
      t: view.label,
      testid: `tab-${view.id}`,
      'aria-current': view.id === state.view ? 'page' : false,
      onclick: () => show(view.id)
    })))
  }
  list.append(h('li', { class: 'tabs__end' },
    h('button', { type: 'button', class: 'tab tab--quiet', t: 'org.signOut', testid: 'org-sign-out', onclick: () => signOut() })))
  nav.append(list)
}
