// My certificates: what the vault holds in my verified name.
import { h } from '../lib/dom.js'
import { loadCertificateTypes, typeName } from '../lib/certificate_types.js'
import { panel } from '../lib/panel.js'

export function renderCertificatesView (main, ctx) {
  const list = panel('certificates')
  main.append(h('h2', { t: 'certs.title' }), h('p', { class: 'lead', t: 'certs.lead' }), list.body)
  list.fill(async () => {
    await loadCertificateTypes(ctx.api).catch(() => null)
    return ctx.api.get('/v1/me/certificates')
  }, ({ certificates }) => certificates.length ? h('ul', { class: 'cards' }, certificates.map(certificateCard)) : null,
  'certs.empty').then((error) => {
    if (error?.code !== 'identity_not_verified') return
    list.body.append(h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'button button--primary', t: 'identity.start', testid: 'identity-start', onclick: () => ctx.show('identity') })))
  })
}

function certificateCard (c) {
  const valid = c.status === 'valid'
  return h('li', { class: 'card item', testid: 'certificate', dataset: { type: c.type_code, status: c.status } },
    h('h3', { class: 'item__title' }, typeName(c.type_code, c.type_name)),
    h('p', { class: `badge ${valid ? 'badge--ok' : 'badge--warn'}`, t: `certStatus.${c.status}` }),
    h('dl', { class: 'facts' },
      h('dt', { t: 'certs.issuer' }), h('dd', {}, c.issuer_name),
      h('dt', { t: 'certs.validUntil' }), c.valid_until ? h('dd', {}, c.valid_until) : h('dd', { t: 'certs.longTerm' }),
      h('dt', { t: 'certs.identifier' }), h('dd', { class: 'mono' }, c.identifier)))
}
