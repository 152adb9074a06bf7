// 访客通行证: a resident of a community lets a visitor in.
//
// The passes the citizen issued (GET /v1/me/access/passes), each with its
// site, window, entries used, who redeemed it (a visitor pass: claimed or
// not), its uses (when, at which gate); an open one can be revoked (DELETE
// /v1/me/access/passes/{id}, two steps).
//
// Issuing (POST /v1/me/access/passes {site_id, valid_from, valid_until,
// entries, printed}) needs a community where the citizen is a resident: the
// form offers those of GET /v1/me/access/memberships; with none, the
// section says how a resident starts. A visitor pass's claim token is shown once, with copy
// buttons and a message to send; a printed pass's CV1 text is drawn as a QR
// (alphanumeric, error correction M, like the live code) with a print button
// (the print stylesheet shows only the pass). What was just issued is kept
// in the page's memory for this citizen until they close it, so a language
// switch does not lose the one showing of the token: never in storage, a URL
// or the console.
//
// Redeeming (领取通行证): a pasted claim token (or the whole message it came
// in) → POST /v1/me/access/passes/claim {claim_token}; the site and window.
import { h, confirmButton, field, statusLine } from '../lib/dom.js'
import { cityDateTimeMs, cityDateTimeValue, formatDateTime, t } from '../lib/i18n.js'
import { clearStatus, showError, showStatus } from '../lib/errors.js'
import { serverNowMs } from '../lib/clock.js'
import { drawQr } from '../lib/qr.js'
import { ACCESS, siteName } from '../lib/access_site.js'
import { panel } from '../lib/panel.js'
import { copyButton } from '../lib/copy_button.js'

const HOUR_MS = 3600 * 1000
const DEFAULT_ENTRIES = 2
// The server's [access] max_pass_entries by default (it decides; the field's max).
const MAX_ENTRIES = 10
// A claim token as the server makes them ("ccv_" + base64url of 32 bytes).
const TOKEN = /ccv_[A-Za-z0-9_-]{16,}/

// The pass just issued: {citizenId, pass}, until closed.
let issued = null

export function passesSection (ctx) {
  const citizenId = ctx.state.session?.citizen_id ?? null
  if (issued && issued.citizenId !== citizenId) issued = null
  const formSlot = h('div', {}, h('p', { class: 'loading', t: 'common.loading' }))
  const issuedSlot = h('div', { 'aria-live': 'polite' })
  const list = panel('access-passes')
  let formShown = false
  const showIssued = () => issuedSlot.replaceChildren(issued ? issuedCard(issued.pass, () => { issued = null; showIssued() }) : '')
  const load = () => Promise.all([ctx.api.get('/v1/me/access/passes'), ctx.api.get('/v1/me/access/memberships')])
    .then(([{ passes }, { memberships }]) => ({ passes, memberships }))
  const reload = () => list.fill(load, ({ passes, memberships }) => {
    if (!formShown) {
      formShown = true
      formSlot.replaceChildren(issueForm(ctx, residentSites(memberships), (pass) => {
        issued = { citizenId, pass }
        showIssued()
        reload()
      }))
    }
    // A pass revoked since it was issued: its token or QR is of no use now.
    if (issued && passes.some((p) => p.id === issued.pass.id && p.revoked)) {
      issued = null
      showIssued()
    }
    return passes.length ? h('ul', { class: 'cards' }, passes.map((p) => passCard(p, ctx, reload))) : null
  }, 'access.passes.empty').then((error) => {
    if (error && !formShown) formSlot.replaceChildren()
  })
  showIssued()
  reload()
  return h('section', { class: 'access-section', 'aria-labelledby': 'access-passes-title', testid: 'access-visitor-passes' },
    h('h3', { id: 'access-passes-title', t: 'access.passes.title' }), h('p', { class: 'hint', t: 'access.passes.hint' }),
    formSlot, issuedSlot,
    h('h4', { id: 'access-passes-mine', class: 'access-section__sub', t: 'access.passes.mine' }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button button--secondary', t: 'access.refresh', testid: 'access-passes-refresh', onclick: reload })),
    list.body)
}

// The communities where the citizen is a resident: {id, name}.
function residentSites (memberships) {
  return memberships.filter((m) => m.policy === 'residents').map((m) => ({ id: m.id, name: siteName(m.name, m.org_name) }))
}

function issueForm (ctx, sites, issuedNow) {
  if (!sites.length) return h('p', { class: 'notice', testid: 'access-pass-no-site', t: 'access.passes.noSite' })
  const now = serverNowMs()
  const site = field({ id: 'access-pass-site', label: 'access.passes.site', testid: 'access-pass-site', type: 'select' })
  site.input.append(...sites.map((s) => h('option', { value: s.id }, s.name)))
  const from = field({ id: 'access-pass-from', label: 'access.passes.from', testid: 'access-pass-from', type: 'datetime-local', value: cityDateTimeValue(now) })
  const until = field({ id: 'access-pass-until', label: 'access.passes.until', testid: 'access-pass-until', type: 'datetime-local', value: cityDateTimeValue(now + 24 * HOUR_MS) })
  const entries = field({ id: 'access-pass-entries', label: 'access.passes.entries', testid: 'access-pass-entries', type: 'number', class: 'access-pass-entries', min: '1', max: String(MAX_ENTRIES), step: '1', inputmode: 'numeric', value: String(DEFAULT_ENTRIES) })
  const kind = h('fieldset', { class: 'field' }, h('legend', { t: 'access.passes.kind' }),
    h('div', { class: 'checks checks--stacked' },
      kindChoice('visitor', 'access.passes.kindVisitor', true),
      kindChoice('printed', 'access.passes.kindPrinted', false)))
  const status = statusLine('access-pass-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'access.passes.submit', testid: 'access-pass-submit' })
  const form = h('form', { class: 'card form', testid: 'access-pass-form', novalidate: true },
    site.row, h('div', { class: 'form--inline access-window' }, from.row, until.row), entries.row, kind,
    h('p', { class: 'hint', t: 'access.passes.formHint' }), status, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const fromMs = cityDateTimeMs(from.input.value)
    const untilMs = cityDateTimeMs(until.input.value)
    const count = Number(entries.input.value)
    const problem = Number.isNaN(fromMs) || Number.isNaN(untilMs) ? 'pass_window_missing'
      : !Number.isInteger(count) || count < 1 || count > MAX_ENTRIES ? 'pass_entries_range' : null
    if (problem) return showError(status, { code: problem }, ACCESS)
    clearStatus(status)
    submit.disabled = true
    try {
      // A start at or before now (the field's minute) is "from now".
      const start = Math.max(fromMs, serverNowMs())
      const pass = await ctx.api.post('/v1/me/access/passes', {
        site_id: site.input.value,
        valid_from: isoSeconds(start),
        valid_until: isoSeconds(untilMs),
        entries: count,
        printed: form.querySelector('input[name="access-pass-kind"]:checked')?.value === 'printed'
      })
      showStatus(status, pass.printed ? 'access.passes.issuedPrinted' : 'access.passes.issuedVisitor', { site: siteName(pass.site, pass.org_name) })
      status.dataset.passId = pass.id
      issuedNow(pass)
    } catch (error) {
      delete status.dataset.passId
      showError(status, error, ACCESS)
    } finally {
      submit.disabled = false
    }
  })
  return form
}

function kindChoice (value, label, checked) {
  const id = `access-pass-kind-${value}`
  return h('div', { class: 'check' },
    h('input', { type: 'radio', id, name: 'access-pass-kind', value, checked, testid: id }),
    h('label', { for: id, t: label }))
}

// RFC 3339 to the second (the server's format).
function isoSeconds (ms) {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function windowText (p) {
  return t('access.passes.windowText', { from: formatDateTime(p.valid_from), until: formatDateTime(p.valid_until) })
}

// The pass just issued: a visitor pass's token once (copy, a message to
// send), or a printed pass's QR to print.
function issuedCard (pass, close) {
  const where = siteName(pass.site, pass.org_name)
  const facts = h('dl', { class: 'facts' },
    h('dt', { t: 'access.passes.site' }), h('dd', { testid: 'access-issued-site' }, where),
    h('dt', { t: 'access.passes.window' }), h('dd', {}, windowText(pass)),
    h('dt', { t: 'access.passes.entries' }), h('dd', {}, String(pass.entries)))
  const done = h('button', { type: 'button', class: 'button button--secondary no-print', t: 'access.passes.close', testid: 'access-issued-close', onclick: close })
  const body = pass.printed_text ? printedPass(pass, facts) : visitorToken(pass, where, facts)
  return h('section', { class: 'card issued-pass', 'aria-labelledby': 'access-issued-title', testid: 'access-issued', dataset: { passId: pass.id, kind: pass.printed ? 'printed' : 'visitor' } },
    body, h('div', { class: 'actions no-print' }, done))
}

function visitorToken (pass, where, facts) {
  const token = pass.claim_token ?? ''
  const message = t('access.passes.shareText', { site: where, window: windowText(pass), entries: pass.entries, token })
  const status = statusLine('access-copy-status')
  const tokenOut = h('output', { class: 'mono token', id: 'access-issued-token', testid: 'access-issued-token' }, token)
  const shareOut = h('p', { class: 'share-text', id: 'access-issued-share', testid: 'access-issued-share' }, message)
  return [
    h('h4', { id: 'access-issued-title', t: 'access.passes.issuedVisitorTitle' }),
    h('p', { class: 'notice', t: 'access.passes.tokenOnce' }),
    facts,
    h('p', { class: 'issued-pass__label', t: 'access.passes.token' }), tokenOut,
    h('div', { class: 'actions' }, copyButton({ label: 'access.passes.copyToken', testid: 'access-copy-token', text: () => token, shown: tokenOut, status })),
    h('p', { class: 'issued-pass__label', t: 'access.passes.share' }), shareOut,
    h('div', { class: 'actions' }, copyButton({ label: 'access.passes.copyShare', testid: 'access-copy-share', text: () => message, shown: shareOut, status })),
    status
  ]
}

function printedPass (pass, facts) {
  const canvas = h('canvas', { class: 'qr qr--pass', testid: 'access-issued-qr', role: 'img', tAttrs: { 'aria-label': 'access.passes.qrLabel' }, dataset: { text: pass.printed_text } })
  const drawn = drawQr(canvas, pass.printed_text).then(() => { canvas.dataset.drawn = 'true' })
  drawn.catch(() => { canvas.dataset.drawn = 'failed' })
  const print = h('button', {
    type: 'button',
    class: 'button button--primary',
    t: 'access.passes.print',
    testid: 'access-issued-print',
    onclick: async () => {
      await drawn
      window.print()
    }
  })
  return [
    h('div', { class: 'print-pass', testid: 'access-print-pass' },
      h('h4', { id: 'access-issued-title', t: 'access.passes.printedTitle' }),
      h('div', { class: 'qr-frame' }, canvas),
      facts,
      h('p', { class: 'hint', t: 'access.passes.printedHint' })),
    h('div', { class: 'actions no-print' }, print)
  ]
}

function passState (p) {
  if (p.revoked) return 'revoked'
  if (p.used >= p.entries) return 'used_up'
  const now = serverNowMs()
  if (Date.parse(p.valid_until) <= now) return 'expired'
  return Date.parse(p.valid_from) > now ? 'not_yet' : 'valid'
}

function passCard (p, ctx, reload) {
  const state = passState(p)
  const open = state === 'valid' || state === 'not_yet'
  const status = statusLine()
  const revoke = open
    ? confirmButton({
      label: 'access.passes.revoke',
      question: 'access.passes.revokeConfirm',
      confirmLabel: 'access.passes.revokeYes',
      testid: 'access-pass-revoke',
      action: async () => {
        try {
          await ctx.api.del(`/v1/me/access/passes/${encodeURIComponent(p.id)}`)
          reload()
        } catch (error) {
          showError(status, error, ACCESS)
        }
      }
    })
    : null
  const kind = p.printed ? 'printed' : 'visitor'
  const claim = p.printed ? null : p.claimed ? 'claimed' : 'unclaimed'
  return h('li', {
    class: 'card item',
    testid: 'access-pass',
    dataset: { passId: p.id, state, kind, claimed: String(p.claimed === true), used: String(p.used), entries: String(p.entries), siteId: p.site_id }
  },
  h('h5', { class: 'item__title', testid: 'access-pass-name' }, siteName(p.site, p.org_name)),
  h('p', { class: 'badges' },
    h('span', { class: `badge ${open ? 'badge--ok' : 'badge--muted'}`, testid: 'access-pass-state', t: `access.passState.${state}` }), ' ',
    h('span', { class: 'badge badge--muted', t: `access.passKind.${kind}` }), ' ',
    claim ? h('span', { class: `badge ${p.claimed ? 'badge--ok' : 'badge--warn'}`, testid: 'access-pass-claimed', t: `access.passClaim.${claim}` }) : null),
  h('dl', { class: 'facts' },
    h('dt', { t: 'access.passes.window' }), h('dd', { testid: 'access-pass-window' }, windowText(p)),
    h('dt', { t: 'access.passes.usedOf' }), h('dd', { testid: 'access-pass-used' }, t('access.passes.usedText', { used: p.used, entries: p.entries }))),
  p.uses?.length
    ? h('ul', { class: 'plain pass-uses', testid: 'access-pass-uses', 'aria-label': t('access.passes.uses') },
      p.uses.map((u) => h('li', { testid: 'access-pass-use' }, t('access.passes.useText', { at: formatDateTime(u.at), gate: u.gate }))))
    : h('p', { class: 'hint', testid: 'access-pass-unused', t: 'access.passes.noUses' }),
  status, revoke)
}

// 领取通行证: the visitor's side.
export function claimSection (ctx) {
  const token = field({ id: 'access-claim-token', label: 'access.claim.token', testid: 'access-claim-token', type: 'textarea', autocomplete: 'off', spellcheck: 'false', rows: '3' })
  const status = statusLine('access-claim-status')
  const result = h('div', { 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'access.claim.submit', testid: 'access-claim-submit' })
  const form = h('form', { class: 'card form', testid: 'access-claim-form', novalidate: true },
    token.row, h('p', { class: 'hint', t: 'access.claim.hint' }), status, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    // The token alone, or found in the whole message it was sent in.
    const text = token.input.value.trim()
    const claimToken = TOKEN.exec(text)?.[0] ?? text
    result.replaceChildren()
    if (!claimToken) return showError(status, { code: 'claim_token_missing' }, ACCESS)
    clearStatus(status)
    submit.disabled = true
    try {
      const pass = await ctx.api.post('/v1/me/access/passes/claim', { claim_token: claimToken })
      showStatus(status, 'access.claim.done', { site: siteName(pass.site, pass.org_name) })
      status.dataset.passId = pass.id
      token.input.value = ''
      result.replaceChildren(h('div', { class: 'card item', testid: 'access-claim-result', dataset: { passId: pass.id, siteId: pass.site_id } },
        h('h5', { class: 'item__title', testid: 'access-claim-site' }, siteName(pass.site, pass.org_name)),
        h('dl', { class: 'facts' },
          h('dt', { t: 'access.passes.window' }), h('dd', { testid: 'access-claim-window' }, windowText(pass)),
          h('dt', { t: 'access.passes.entries' }), h('dd', { testid: 'access-claim-entries' }, String(pass.entries))),
        h('p', { class: 'hint', t: 'access.claim.howToUse' })))
    } catch (error) {
      delete status.dataset.passId
      // An unknown, used, revoked or expired token is one answer (404).
      showError(status, error.code === 'not_found' ? { code: 'pass_not_found' } : error, ACCESS)
    } finally {
      submit.disabled = false
    }
  })
  return h('section', { class: 'access-section', 'aria-labelledby': 'access-claim-title', testid: 'access-claim' },
    h('h3', { id: 'access-claim-title', t: 'access.claim.title' }), h('p', { class: 'hint', t: 'access.claim.lead' }),
    form, result)
}
