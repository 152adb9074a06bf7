// 授权医院查看: the citizen lets a hospital read their health records
// (门诊病历, 检验报告) during a visit there. Health records are granted apart
// from other certificates (the server refuses a mix: health_consent_separate)
// and for a short time: without expires_at the server gives 24 h, at most
// 7 days (health_grant_too_long). The hospitals are the requesters of kind
// hospital that may request a health type (GET /v1/vault/requesters); the
// grant is POST /v1/me/grants, listed and revoked like every standing grant
// (GET /v1/me/grants, POST /v1/me/grants/{id}/revoke). The citizen's own
// records only: grants are not made for a dependant.
import { h, field, statusLine } from '../lib/dom.js'
import { formatDateTime, t } from '../lib/i18n.js'
import { clearStatus, showError, showStatus } from '../lib/errors.js'
import { loadCertificateTypes, typeKey, typeName } from '../lib/certificate_types.js'
import { serverNowMs } from '../lib/clock.js'
import { panel } from '../lib/panel.js'
import { revokeButton } from './consents_view.js'

// The health record types (the registry's `health` types; its answer does
// not carry the flag, so the page names them).
const HEALTH_KEYS = ['visit_summary', 'lab_result']
const HOUR_MS = 3600 * 1000
// A chosen end is a little short of the full span, so a page clock slightly
// ahead of the server's (offsets under 2 s are not corrected) and the
// request's way there never make it "too long".
const END_MARGIN_MS = 5 * 60 * 1000
// The choices of how long: '' is the server's default (24 h).
const DURATIONS = [['', 'health.duration24h'], ['72', 'health.duration3d'], ['168', 'health.duration7d']]

const isHealthType = (codeOrKey) => HEALTH_KEYS.includes(typeKey(codeOrKey))

export function healthConsentSection (ctx) {
  const formSlot = h('div', {}, h('p', { class: 'loading', t: 'common.loading' }))
  const list = panel('health-grants')
  let organisations = []
  const reload = () => list.fill(() => ctx.api.get('/v1/me/grants'), ({ grants }) => {
    const live = grants.filter((g) => isLiveHealthGrant(g))
    return live.length ? h('ul', { class: 'cards' }, live.map((g) => grantCard(g, organisations, ctx, reload))) : null
  }, 'health.noGrants')
  loadRequesters(ctx).then((found) => {
    organisations = found
    formSlot.replaceChildren(grantForm(ctx, hospitalsOf(organisations), reload))
    reload()
  })
  return h('section', { class: 'medical-section', 'aria-labelledby': 'health-consent-title', testid: 'health-consent' },
    h('h3', { id: 'health-consent-title', t: 'health.title' }), h('p', { class: 'hint', t: 'health.hint' }),
    formSlot,
    h('h4', { id: 'health-grants-title', class: 'medical-section__sub', t: 'health.grants' }), list.body)
}

// Every requesting organisation (their names label the grants); the
// certificate registry first, so type codes map to keys.
async function loadRequesters (ctx) {
  await loadCertificateTypes(ctx.api).catch(() => null)
  try {
    return (await ctx.api.get('/v1/vault/requesters')).organisations ?? []
  } catch {
    return []
  }
}

// Hospitals that may request at least one health type, with those types' keys.
function hospitalsOf (organisations) {
  return organisations
    .filter((o) => o.kind === 'hospital')
    .map((o) => ({ ...o, healthKeys: HEALTH_KEYS.filter((key) => (o.types ?? []).some((type) => typeKey(type) === key)) }))
    .filter((o) => o.healthKeys.length)
}

function isLiveHealthGrant (g) {
  return g.kind === 'standing' && g.types?.length > 0 && g.types.every(isHealthType) &&
    !g.revoked_at && !g.used_at && Date.parse(g.expires_at) > serverNowMs()
}

function grantForm (ctx, hospitals, reload) {
  const org = field({ id: 'health-grant-org', label: 'health.hospital', testid: 'health-grant-org', type: 'select' })
  org.input.append(h('option', { value: '', t: 'health.pickHospital' }),
    ...hospitals.map((o) => h('option', { value: o.org_id }, o.name)))
  const purpose = field({ id: 'health-grant-purpose', label: 'health.purpose', testid: 'health-grant-purpose', maxlength: '200' })
  const duration = field({ id: 'health-grant-duration', label: 'health.duration', testid: 'health-grant-duration', type: 'select' })
  duration.input.append(...DURATIONS.map(([value, key]) => h('option', { value, t: key })))
  const status = statusLine('health-grant-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'health.submit', testid: 'health-grant-submit' })
  const form = h('form', { class: 'card form', testid: 'health-grant-form', novalidate: true },
    hospitals.length ? null : h('p', { class: 'hint', t: 'health.noHospitals' }),
    org.row, purpose.row, duration.row, status, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const hospital = hospitals.find((o) => o.org_id === org.input.value)
    const problem = !hospital ? 'health_org_missing' : !purpose.input.value.trim() ? 'grant_purpose_missing' : null
    if (problem) return showError(status, { code: problem })
    clearStatus(status)
    submit.disabled = true
    try {
      const body = { org_id: hospital.org_id, types: hospital.healthKeys, purpose: purpose.input.value.trim() }
      const hours = Number(duration.input.value)
      if (hours) body.expires_at = new Date(serverNowMs() + hours * HOUR_MS - END_MARGIN_MS).toISOString().replace(/\.\d{3}Z$/, 'Z')
      const grant = await ctx.api.post('/v1/me/grants', body)
      showStatus(status, 'health.granted', { hospital: hospital.name, until: formatDateTime(grant.expires_at) })
      status.dataset.grantId = grant.id
      purpose.input.value = ''
      reload()
    } catch (error) {
      delete status.dataset.grantId
      showError(status, error)
    } finally {
      submit.disabled = false
    }
  })
  return form
}

function grantCard (g, organisations, ctx, reload) {
  const orgName = organisations.find((o) => o.org_id === g.org_id)?.name ?? g.org_id
  const status = statusLine()
  const revoke = revokeButton(g, ctx, reload, status, { label: 'health.revoke', question: 'health.revokeConfirm', testid: 'health-grant-revoke' })
  return h('li', { class: 'card item', testid: 'health-grant', dataset: { grantId: g.id, orgId: g.org_id, expiresAt: g.expires_at } },
    h('h5', { class: 'item__title', testid: 'health-grant-hospital' }, orgName),
    h('p', { class: 'badge badge--ok', t: 'grantState.live' }),
    h('dl', { class: 'facts' },
      h('dt', { t: 'grants.types' }), h('dd', {}, g.types.map((type) => typeName(type)).join(t('list.separator'))),
      h('dt', { t: 'grants.purpose' }), h('dd', {}, g.purpose),
      h('dt', { t: 'health.grantedAt' }), h('dd', {}, formatDateTime(g.created_at)),
      h('dt', { t: 'health.until' }), h('dd', { testid: 'health-grant-until' }, formatDateTime(g.expires_at))),
    status, revoke)
}
