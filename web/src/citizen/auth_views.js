// Getting in: log in, register, confirm the phone, verify the identity.
// The name, ID number and password live only in memory (state.draft) while
// registering; the demo identity provider confirms the account's own claim.
import { h, field, statusLine } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { showError, showStatus } from '../lib/errors.js'
import { enrolDevice } from './device.js'

const PHONE = /^1\d{10}$/
const ID_NUMBER = /^\d{17}[\dX]$/

// GB 11643 check character, so a typo is caught before the server sees it.
export function idNumberChecks (id) {
  if (!ID_NUMBER.test(id)) return false
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = weights.reduce((acc, w, i) => acc + w * Number(id[i]), 0)
  return '10X98765432'[sum % 11] === id[17]
}

function form (testid, onsubmit, ...children) {
  const el = h('form', { class: 'card form', testid, novalidate: true }, ...children)
  el.addEventListener('submit', (event) => { event.preventDefault(); onsubmit() })
  return el
}

// Marks the first invalid input and says why; true if all is well.
function validate (status, checks) {
  for (const [input, ok, key] of checks) {
    input.setAttribute('aria-invalid', ok ? 'false' : 'true')
    if (!ok) {
      showError(status, { code: key })
      input.focus()
      return false
    }
  }
  return true
}

async function busy (button, work) {
  button.disabled = true
  try {
    return await work()
  } finally {
    button.disabled = false
  }
}

function renderLogin (main, ctx) {
  const phone = field({ id: 'login-phone', label: 'login.phone', testid: 'login-phone', type: 'tel', autocomplete: 'username', inputmode: 'numeric', maxlength: '11', value: ctx.state.draft?.phone ?? '' })
  const password = field({ id: 'login-password', label: 'login.password', testid: 'login-password', type: 'password', autocomplete: 'current-password' })
  const status = statusLine('login-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'login.submit', testid: 'login-submit' })
  const onsubmit = () => busy(submit, async () => {
    const number = phone.input.value.trim()
    if (!validate(status, [[phone.input, PHONE.test(number), 'phone_invalid'], [password.input, password.input.value.length > 0, 'password_missing']])) return
    showStatus(status, 'login.working')
    try {
      const session = await ctx.api.post('/v1/sessions', { phone: number, password: password.input.value })
      await ctx.setSession(session)
      await afterLogin(ctx, status)
    } catch (error) {
      showError(status, error.code === 'unauthenticated' ? { code: 'login_failed' } : error)
    }
  })
  main.append(
    h('h2', { t: 'login.title' }),
    h('p', { class: 'lead', t: 'login.lead' }),
    form('login-form', onsubmit, phone.row, password.row, status, h('div', { class: 'actions' }, submit)),
    h('p', { class: 'aside' }, h('span', { t: 'login.noAccount' }), ' ',
      h('button', { type: 'button', class: 'button button--link', t: 'login.register', testid: 'go-register', onclick: () => ctx.show('register') }))
  )
}

// After a session: this browser's device (enrolled once), then the identity.
export async function afterLogin (ctx, status) {
  const { api, state } = ctx
  if (state.device) {
    const listed = await api.get('/v1/me/devices').catch(() => null)
    const mine = listed?.devices?.some((d) => d.id === state.device.deviceId && d.state === 'active')
    if (listed && !mine) await ctx.setDevice(null)
  }
  if (!state.device) {
    showStatus(status, 'enrol.working')
    try {
      await ctx.setDevice(await enrolDevice(api, t('enrol.label')))
    } catch (error) {
      ctx.show('code', { enrolError: error })
      return
    }
  }
  const identity = await api.get('/v1/me/identity').catch(() => null)
  if (identity && identity.level === 'none') ctx.show('identity')
  else ctx.show('code')
}

function renderRegister (main, ctx) {
  const draft = ctx.state.draft ?? {}
  const name = field({ id: 'reg-name', label: 'register.name', testid: 'reg-name', autocomplete: 'name', maxlength: '64', value: draft.name ?? '' })
  const idNumber = field({ id: 'reg-id-number', label: 'register.idNumber', testid: 'reg-id-number', autocomplete: 'off', maxlength: '18', spellcheck: 'false', value: draft.idNumber ?? '' })
  const phone = field({ id: 'reg-phone', label: 'register.phone', testid: 'reg-phone', type: 'tel', autocomplete: 'tel', inputmode: 'numeric', maxlength: '11', value: draft.phone ?? '' })
  const password = field({ id: 'reg-password', label: 'register.password', testid: 'reg-password', type: 'password', autocomplete: 'new-password', 'aria-describedby': 'reg-password-hint' })
  const status = statusLine('register-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'register.submit', testid: 'reg-submit' })
  const onsubmit = () => busy(submit, async () => {
    const values = {
      name: name.input.value.trim(),
      idNumber: idNumber.input.value.trim().toUpperCase(),
      phone: phone.input.value.trim(),
      password: password.input.value
    }
    if (!validate(status, [
      [name.input, values.name.length > 0, 'name_missing'],
      [idNumber.input, idNumberChecks(values.idNumber), 'id_number_invalid'],
      [phone.input, PHONE.test(values.phone), 'phone_invalid'],
      [password.input, values.password.length >= 8, 'password_short']
    ])) return
    showStatus(status, 'register.working')
    try {
      await ctx.api.post('/v1/citizens', { name: values.name, id_number: values.idNumber, phone: values.phone, password: values.password })
      ctx.state.draft = values
      ctx.show('confirm')
    } catch (error) {
      showError(status, error)
    }
  })
  main.append(
    h('h2', { t: 'register.title' }),
    h('p', { class: 'lead', t: 'register.lead' }),
    form('register-form', onsubmit, name.row, idNumber.row, phone.row, password.row,
      h('p', { class: 'hint', id: 'reg-password-hint', t: 'register.passwordHint' }),
      status, h('div', { class: 'actions' }, submit)),
    h('p', { class: 'aside' }, h('span', { t: 'register.haveAccount' }), ' ',
      h('button', { type: 'button', class: 'button button--link', t: 'register.login', testid: 'go-login', onclick: () => ctx.show('login') }))
  )
}

// The demo's phone inbox: the last text sent to the phone, and its code.
function demoInbox (ctx, phone, codeInput, status) {
  const shown = h('p', { class: 'inbox', testid: 'demo-inbox-text', 'aria-live': 'polite' })
  const button = h('button', {
    type: 'button',
    class: 'button button--secondary',
    t: 'confirm.demoInbox',
    testid: 'demo-inbox',
    onclick: () => busy(button, async () => {
      try {
        const inbox = await ctx.api.post('/v1/demo/texts', { phone })
        shown.textContent = inbox.texts?.at(-1) ?? t('confirm.inboxEmpty')
        if (inbox.code) codeInput.value = inbox.code
      } catch (error) {
        showError(status, error)
      }
    })
  })
  return h('div', { class: 'demo-box' }, h('p', { class: 'demo-tag', t: 'demo.tag' }), button, shown)
}

function renderConfirm (main, ctx) {
  const draft = ctx.state.draft
  if (!draft) return ctx.show('register')
  const code = field({ id: 'confirm-code', label: 'confirm.code', testid: 'confirm-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6' })
  const status = statusLine('confirm-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'confirm.submit', testid: 'confirm-submit' })
  const resend = h('button', {
    type: 'button',
    class: 'button button--link',
    t: 'confirm.resend',
    testid: 'confirm-resend',
    onclick: () => busy(resend, async () => {
      try {
        await ctx.api.post('/v1/citizens', { name: draft.name, id_number: draft.idNumber, phone: draft.phone, password: draft.password })
        showStatus(status, 'confirm.resent')
      } catch (error) {
        showError(status, error)
      }
    })
  })
  const onsubmit = () => busy(submit, async () => {
    const value = code.input.value.trim()
    if (!validate(status, [[code.input, /^\d{6}$/.test(value), 'code_format']])) return
    try {
      await ctx.api.post('/v1/citizens/confirm', { phone: draft.phone, code: value })
      showStatus(status, 'login.working')
      const session = await ctx.api.post('/v1/sessions', { phone: draft.phone, password: draft.password })
      draft.password = null
      await ctx.setSession(session)
      await afterLogin(ctx, status)
    } catch (error) {
      showError(status, error)
    }
  })
  main.append(
    h('h2', { t: 'confirm.title' }),
    h('p', { class: 'lead', t: 'confirm.lead', tParams: { phone: maskPhone(draft.phone) } }),
    form('confirm-form', onsubmit,
      h('div', { class: 'code-row' }, code.row, ctx.state.demo?.inbox ? demoInbox(ctx, draft.phone, code.input, status) : null),
      status, h('div', { class: 'actions' }, submit, resend))
  )
  code.input.focus()
}

function maskPhone (phone) {
  return `${phone.slice(0, 3)}****${phone.slice(7)}`
}

function renderIdentity (main, ctx) {
  main.append(h('h2', { t: 'identity.title' }), h('p', { class: 'lead', t: 'identity.lead' }))
  const later = h('button', { type: 'button', class: 'button button--secondary', t: 'identity.later', testid: 'identity-skip', onclick: () => ctx.show('code') })
  if (!ctx.state.demo?.identity_provider) {
    main.append(h('div', { class: 'card' },
      h('p', { t: 'identity.inPerson', testid: 'identity-in-person' }),
      h('div', { class: 'actions' }, later)))
    return
  }
  // The demo provider confirms the person the account claims to be, as the
  // provincial platform would after its face check.
  const status = statusLine('identity-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'identity.submit', testid: 'identity-submit' })
  const onsubmit = () => busy(submit, async () => {
    showStatus(status, 'identity.working')
    try {
      await verifyOnline(ctx.api)
      ctx.state.draft = null
      await ctx.renewNow() // the credential then carries the verified fare class
      ctx.show('code', { identityVerified: true })
    } catch (error) {
      showError(status, error)
    }
  })
  main.append(form('identity-form', onsubmit,
    h('p', { class: 'demo-tag', t: 'identity.demoProvider' }),
    h('p', { t: 'identity.demoExplain' }),
    status, h('div', { class: 'actions' }, submit, later)))
}

// The demo identity provider's flow: nonce, the provider's ID token, ours.
async function verifyOnline (api) {
  const start = await api.post('/v1/me/identity/online')
  const { id_token: idToken } = await api.post('/v1/demo/id-token', { nonce: start.nonce })
  return api.post('/v1/me/identity/online/id-token', { id_token: idToken, nonce: start.nonce })
}

export const AUTH_VIEWS = {
  login: renderLogin,
  register: renderRegister,
  confirm: renderConfirm,
  identity: renderIdentity
}
