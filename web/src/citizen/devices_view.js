// Lost phone: my devices, this one marked; reporting one lost revokes its
// credentials at once (POST /v1/me/devices/{id}/lost).
import { h, confirmButton, statusLine } from '../lib/dom.js'
import { formatDateTime } from '../lib/i18n.js'
import { showError } from '../lib/errors.js'
import { panel } from '../lib/panel.js'

export function renderDevicesView (main, ctx) {
  const list = panel('devices')
  const reload = () => list.fill(() => ctx.api.get('/v1/me/devices'),
    ({ devices }) => {
      const active = devices.filter((d) => d.state === 'active')
      return active.length ? h('ul', { class: 'cards' }, active.map((d) => deviceCard(d, ctx, reload))) : null
    }, 'devices.empty')
  main.append(h('h2', { t: 'devices.title' }), h('p', { class: 'lead', t: 'devices.lead' }), list.body)
  reload()
}

function deviceCard (d, ctx, reload) {
  const isThis = d.id === ctx.state.device?.deviceId
  const status = statusLine()
  return h('li', { class: 'card item', testid: 'device', dataset: { deviceId: d.id, thisDevice: String(isThis) } },
    h('h3', { class: 'item__title' }, d.label || d.id, isThis ? [' ', h('span', { class: 'badge badge--ok', t: 'devices.this' })] : null),
    h('dl', { class: 'facts' },
      h('dt', { t: 'devices.since' }), h('dd', {}, formatDateTime(d.created_at)),
      h('dt', { t: 'devices.channel' }), h('dd', { t: `channel.${d.channel}` })),
    status,
    confirmButton({
      label: isThis ? 'devices.lostThis' : 'devices.lost',
      question: 'devices.lostConfirm',
      confirmLabel: 'devices.lostYes',
      testid: isThis ? 'lost-this-device' : 'lost-device',
      action: async () => {
        try {
          await ctx.api.post(`/v1/me/devices/${encodeURIComponent(d.id)}/lost`)
          if (isThis) {
            await ctx.setDevice(null)
            ctx.show('code', { lost: true })
          } else {
            reload()
          }
        } catch (error) {
          showError(status, error)
        }
      }
    }))
}
