// A medical slot's facts in words (hospital, time, department, clinician, fee in ¥),
// shared by the citizen's appointments and the hospital kiosk's answer.
import { h } from './dom.js'
import { formatDateTime, formatFen, formatTime } from './i18n.js'

// The facts of an appointment's slot, then `more` (further dt/dd pairs).
export function slotFacts (slot, ...more) {
  const clinician = [slot.clinician?.name, slot.clinician?.title].filter(Boolean).join(' · ')
  return h('dl', { class: 'facts' },
    slot.org_name ? [h('dt', { t: 'appointments.hospital' }), h('dd', { testid: 'appointment-hospital' }, slot.org_name)] : null,
    h('dt', { t: 'appointments.time' }), h('dd', { testid: 'appointment-time' }, `${formatDateTime(slot.starts_at)} – ${formatTime(slot.ends_at)}`),
    h('dt', { t: 'appointments.department' }), h('dd', { testid: 'appointment-department' }, slot.department?.name ?? ''),
    h('dt', { t: 'appointments.clinician' }), h('dd', { testid: 'appointment-clinician' }, clinician),
    h('dt', { t: 'appointments.fee' }), h('dd', { testid: 'appointment-fee', dataset: { fen: String(slot.fee_fen ?? 0) } }, formatFen(slot.fee_fen ?? 0)),
    more)
}
