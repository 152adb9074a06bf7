// My appointments (挂号): the citizen's bookings, newest slot first, each
// with its time, department, clinician and fee; a booked one not yet started
// can be cancelled (two-step). Booking from this page needs the hospitals'
// list, which the server does not offer a citizen yet (docs/MEDICAL.md: the
// slots are asked by org_id): until it does, the page says to book at the
// hospital's kiosk with the code (POST /v1/medical/registrations).
import { h, confirmButton, statusLine } from '../lib/dom.js'
import { formatDateTime } from '../lib/i18n.js'
import { slotFacts } from '../lib/medical_slot.js'
import { showError } from '../lib/errors.js'
import { serverNowMs } from '../lib/clock.js'
import { panel } from './panel.js'

export function renderAppointmentsView (main, ctx) {
  const list = panel('appointments')
  const reload = () => list.fill(() => ctx.api.get('/v1/me/medical/appointments'),
    ({ appointments }) => appointments.length
      ? h('ul', { class: 'cards' }, appointments.map((a) => appointmentCard(a, ctx, reload)))
      : null,
    'appointments.empty')
  main.append(
    h('h2', { t: 'appointments.title' }), h('p', { class: 'lead', t: 'appointments.lead' }),
    h('p', { class: 'card hint', testid: 'appointments-how', t: 'appointments.atKiosk' }),
    h('section', { 'aria-labelledby': 'appointments-mine' },
      h('h3', { id: 'appointments-mine', t: 'appointments.mine' }),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button button--secondary', t: 'appointments.refresh', testid: 'appointments-refresh', onclick: () => reload() })),
      list.body))
  reload()
}

function appointmentCard (a, ctx, reload) {
  const started = Date.parse(a.slot.starts_at) <= serverNowMs()
  const status = statusLine()
  const cancel = a.state === 'booked' && !started
    ? confirmButton({
      label: 'appointments.cancel',
      question: 'appointments.cancelConfirm',
      confirmLabel: 'appointments.cancelYes',
      testid: 'appointment-cancel',
      action: async () => {
        try {
          await ctx.api.post(`/v1/me/medical/appointments/${encodeURIComponent(a.id)}/cancel`)
          reload()
        } catch (error) {
          showError(status, error)
        }
      }
    })
    : null
  const badge = a.state === 'booked' ? 'badge--ok' : 'badge--muted'
  return h('li', { class: 'card item', testid: 'appointment', dataset: { appointmentId: a.id, state: a.state, slotId: a.slot.id } },
    h('h3', { class: 'item__title' }, `${a.slot.department?.name ?? ''} · ${a.slot.clinician?.name ?? ''}`),
    h('p', { class: `badge ${badge}`, t: `appointmentState.${a.state}` }),
    slotFacts(a.slot,
      h('dt', { t: 'appointments.channel' }), h('dd', { t: `bookingChannel.${a.channel}` }),
      h('dt', { t: 'appointments.bookedAt' }), h('dd', {}, formatDateTime(a.booked_at)),
      a.cancelled_at ? [h('dt', { t: 'appointments.cancelledAt' }), h('dd', {}, formatDateTime(a.cancelled_at))] : null),
    status, cancel)
}
