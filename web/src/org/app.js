// The organisation page: the organisation's admin signs in with its API key
// (sessionStorage, this tab only), the header names the organisation, and
// the tabs (views.js) set it up: sites, terminals, staff and what its kind
// needs. Keys of new terminals are shown once and kept nowhere.
import { createApi } from '../lib/api.js'
import { h, clear } from '../lib/dom.js'
import { applyLang } from '../lib/i18n.js'
import { isKeyRefusal, keyStore, showKeySignIn } from '../lib/key_sign_in.js'
import { mountLangSwitch } from '../lib/lang_switch.js'
import { viewsFor } from './views.js'

// 401: unknown or revoked; 403: a key of another role (an admin's, a terminal's).
const REFUSALS = { unauthenticated: 'org_key_refused', permission_denied: 'org_key_not_org' }

const key = keyStore('citycode.orgKey')
const state = {
  org: null, // GET /v1/org: {id, name, kind, demo, created_at}
  view: null,
  cleanup: null
}

const api = createApi({
  headers: key.headers,
  // The key was revoked while the page was open: sign in again.
  onUnauthenticated: () => { if (state.org) signOut('org_key_refused') }
})

export async function start () {
  mountLangSwitch(document.getElementById('lang-switch-slot'))
  applyLang(document)
  if (!key.get()) return showSignIn()
  try {
    state.org = await api.get('/v1/org')
  } catch (error) {
    // A refused key is forgotten; one not checked (offline) stays for a reload.
    if (isKeyRefusal(error)) key.forget()
    return showSignIn(error)
  }
  show(viewsFor(state.org.kind)[0].id)
}

function mainArea () {
  state.cleanup?.()
  state.cleanup = null
  const main = clear(document.getElementById('main'))
  main.focus({ preventScroll: true })
  return main
}

function showSignIn (error) {
  state.org = null
  showWhere()
  renderNav()
  showKeySignIn(mainArea(), {
    prefix: 'org',
    store: key,
    codes: REFUSALS,
    error,
    tryKey: () => api.get('/v1/org'),
    onSignedIn: (org) => {
      state.org = org
      show(viewsFor(org.kind)[0].id)
    }
  })
}

function signOut (reasonCode) {
  key.forget()
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
