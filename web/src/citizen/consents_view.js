// My consents: standing grants to an organisation for a purpose until a date
// (POST /v1/me/grants), revocable at any time; presentation grants are shown too.
import { h, confirmButton, field, statusLine } from '../lib/dom.js'
import { cityToday, formatDateTime } from '../lib/i18n.js'
import { showError, showStatus } from '../lib/errors.js'
import { loadCertificateTypes, typeName } from '../lib/certificate_types.js'
import { panel } from '../lib/panel.js'

// The two-step revoke of a standing grant; a refusal goes to `status`.
export function revokeButton (g, ctx, reload, status, { label, question, testid }) {
  return confirmButton({
    label,
    question,
    confirmLabel: 'grants.revokeYes',
    testid,
    action: async () => {
      try {
        await ctx.api.post(`/v1/me/grants/${encodeURIComponent(g.id)}/revoke`)
        reload()
      } catch (error) {
        showError(status, error)
      }
    }
  })
}

export function renderConsentsView (main, ctx) {
  const list = panel('grants')
  const formSlot = h('div')
  let organisations = []
  const reload = () => list.fill(() => ctx.api.get('/v1/me/grants'),
    ({ grants }) => grants.length ? h('ul', { class: 'cards' }, grants.map((g) => grantCard(g, organisations, ctx, reload))) : null,
    'grants.empty')
  main.append(
    h('h2', { t: 'grants.title' }), h('p', { class: 'lead', t: 'grants.lead' }),
    h('section', { 'aria-labelledby': 'grants-new' }, h('h3', { id: 'grants-new', t: 'grants.new' }), formSlot),
    h('section', { 'aria-labelledby': 'grants-mine' }, h('h3', { id: 'grants-mine', t: 'grants.mine' }), list.body))
  loadRequesters(ctx).then((found) => {
    organisations = found
    formSlot.replaceChildren(grantForm(ctx, organisations, reload))
    reload()
  })
}

// Organisations that may request certificate types (contract G); without the
// route, any type may be named for an organisation id typed in.
async function loadRequesters (ctx) {
  await loadCertificateTypes(ctx.api).catch(() => null)
  try {
    return (await ctx.api.get('/v1/vault/requesters')).organisations ?? []
  } catch {
    return []
  }
}

function grantForm (ctx, organisations, reload) {
  const org = field({ id: 'grant-org', label: 'grants.org', testid: 'grant-org', type: 'select' })
  org.input.append(h('option', { value: '', t: 'grants.pickOrg' }),
    ...organisations.map((o) => h('option', { value: o.org_id }, o.name)))
  const types = h('div', { class: 'checks', testid: 'grant-types' })
  const typesBox = h('fieldset', { class: 'field' }, h('legend', { t: 'grants.types' }), types)
  const purpose = field({ id: 'grant-purpose', label: 'grants.purpose', testid: 'grant-purpose', maxlength: '200' })
  const until = field({ id: 'grant-until', label: 'grants.until', testid: 'grant-until', type: 'date', min: cityToday() })
  const status = statusLine('grant-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'grants.submit', testid: 'grant-submit' })
  const showTypes = () => {
    const chosen = organisations.find((o) => o.org_id === org.input.value)
    types.replaceChildren(...(chosen?.types ?? []).map((type, i) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: type, id: `grant-type-${i}`, testid: `grant-type-${type}` }), ' ', typeName(type))))
    if (chosen && !chosen.types?.length) types.append(h('p', { class: 'hint', t: 'grants.noTypes' }))
  }
  org.input.addEventListener('change', showTypes)
  showTypes()
  const form = h('form', { class: 'card form', testid: 'grant-form', novalidate: true },
    organisations.length ? null : h('p', { class: 'hint', t: 'grants.noRequesters' }),
    org.row, typesBox, purpose.row, until.row, status, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const chosen = [...types.querySelectorAll('input:checked')].map((box) => box.value)
    const problem = !org.input.value ? 'grant_org_missing'
      : !chosen.length ? 'grant_types_missing'
        : !purpose.input.value.trim() ? 'grant_purpose_missing'
          : !until.input.value ? 'grant_until_missing' : null
    if (problem) return showError(status, { code: problem })
    submit.disabled = true
    try {
      await ctx.api.post('/v1/me/grants', {
        org_id: org.input.value,
        types: chosen,
        purpose: purpose.input.value.trim(),
        expires_at: endOfCityDay(until.input.value)
      })
      showStatus(status, 'grants.granted')
      form.reset()
      showTypes()
      reload()
    } catch (error) {
      showError(status, error)
    } finally {
      submit.disabled = false
    }
  })
  return form
}

// The last second of a city day, as RFC 3339 UTC.
function endOfCityDay (day) {
  return new Date(`${day}T23:59:59+08:00`).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function grantState (g) {
  if (g.revoked_at) return 'revoked'
  if (g.used_at) return 'used'
  if (Date.parse(g.expires_at) <= Date.now()) return 'expired'
  return 'live'
}

function grantCard (g, organisations, ctx, reload) {
  const state = grantState(g)
  const orgName = organisations.find((o) => o.org_id === g.org_id)?.name ?? g.org_id
  const status = statusLine()
  const revoke = state === 'live' && g.kind === 'standing'
    ? revokeButton(g, ctx, reload, status, { label: 'grants.revoke', question: 'grants.revokeConfirm', testid: 'grant-revoke' })
    : null
  return h('li', { class: 'card item', testid: 'grant', dataset: { grantId: g.id, state } },
    h('h3', { class: 'item__title' }, orgName),
    h('p', { class: `badge ${state === 'live' ? 'badge--ok' : 'badge--muted'}`, t: `grantState.${state}` }),
    h('dl', { class: 'facts' },
      h('dt', { t: 'grants.kind' }), h('dd', { t: `grantKind.${g.kind}` }),
      h('dt', { t: 'grants.types' }), h('dd', {}, g.types.map((type) => typeName(type)).join('、')),
      h('dt', { t: 'grants.purpose' }), h('dd', {}, g.purpose),
      h('dt', { t: 'grants.until' }), h('dd', {}, formatDateTime(g.expires_at)),
      g.revoked_at ? [h('dt', { t: 'grants.revokedAt' }), h('dd', {}, formatDateTime(g.revoked_at))] : null),
    status, revoke)
}
