// 出诊排班 (a hospital's sessions): POST /v1/orgs/{org}/medical/schedules
// {clinician_id, day (YYYY-MM-DD, the city's), start, end (HH:MM), slot_minutes
// (≥ 5, dividing the session, ≤ 96 slots), capacity (1-1000 a slot), fee_fen
// (0-10 000 000)} → 201 the schedule with its slots; 409 schedule_overlaps.
// The fee is typed in yuan and sent in fen.
// 停诊: POST …/schedules/{id}/stop {reason (1-200 bytes, told to the
// patients)} → {appointments_stopped, refund_fen}, in two steps.
// The server has no route that lists a hospital's schedules (nor its slots
// to an org admin), so the page lists those published from this tab, kept
// in memory only; a reload forgets them (they stay published).
import { h, confirmButton, field, statusLine } from '../lib/dom.js'
import { showError, showStatus } from '../lib/errors.js'
import { cityToday, formatDay, formatFen, formatTime, onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { byteLength, orgPath } from './org_api.js'
import { DAY, fenOf, formCard, integerOf, minutesOf, offerChoices, onSubmit } from './forms.js'
import { clinicianLabel, loadStaffing } from './medical_view.js'

const MAX_FEE_FEN = 10_000_000
const MAX_SLOTS = 96
const published = new Map() // org id → [{schedule, clinician, stop}] of this tab

export function renderSchedulesView (main, ctx) {
  const list = panel('medical-schedules')
  const mine = () => published.get(ctx.org.id) ?? []
  const form = scheduleForm(ctx, (schedule, clinician) => {
    published.set(ctx.org.id, [{ schedule, clinician, stop: null }, ...mine()])
    reload()
  })
  const reload = () => list.fill(async () => {
    form.offer(await loadStaffing(ctx))
    return mine()
  }, (entries) => entries.length ? h('ul', { class: 'cards' }, entries.map((entry) => scheduleCard(ctx, entry, reload))) : null, 'org.schedules.empty')
  main.append(h('h2', { t: 'org.schedules.title' }), h('p', { class: 'lead', t: 'org.schedules.lead' }),
    form.element,
    h('section', { class: 'org-section', 'aria-labelledby': 'schedules-list-title' },
      h('h3', { id: 'schedules-list-title', t: 'org.schedules.list' }), h('p', { class: 'hint', t: 'org.schedules.listHint' }), list.body))
  reload()
  return onLangChange(reload)
}

function scheduleCard (ctx, entry, reload) {
  const { schedule, clinician, stop } = entry
  const slots = schedule.slots ?? []
  const first = slots[0]
  const status = statusLine('schedule-stop-status')
  const reason = field({ id: `schedule-stop-reason-${schedule.id}`, label: 'org.schedules.stopReason', testid: 'schedule-stop-reason', autocomplete: 'off' })
  const stopButton = confirmButton({
    label: 'org.schedules.stop',
    question: 'org.schedules.stopConfirm',
    confirmLabel: 'org.schedules.stopYes',
    testid: 'schedule-stop',
    action: async () => {
      const text = reason.input.value.trim()
      const problem = !text ? 'org_stop_reason_missing' : byteLength(text) > 200 ? 'org_stop_reason_long' : null
      if (problem) return showError(status, { code: problem })
      try {
        entry.stop = await ctx.api.post(orgPath(ctx, 'medical', 'schedules', schedule.id, 'stop'), { reason: text })
        reload()
      } catch (error) {
        showError(status, error, ['org.scheduleStop', 'org'])
      }
    }
  })
  return h('li', { class: 'card item', testid: 'medical-schedule', dataset: { scheduleId: schedule.id, state: stop ? 'stopped' : 'published' } },
    h('h4', { class: 'item__title', testid: 'medical-schedule-clinician' }, clinician),
    h('span', { class: `badge ${stop ? 'badge--muted' : 'badge--ok'}`, testid: 'medical-schedule-state', t: stop ? 'org.schedules.stopped' : 'org.schedules.published' }),
    h('dl', { class: 'facts' },
      h('dt', { t: 'org.schedules.when' }), h('dd', { testid: 'medical-schedule-time' }, `${formatDay(schedule.day)} ${formatTime(schedule.starts_at)} – ${formatTime(schedule.ends_at)}`),
      h('dt', { t: 'org.schedules.slots' }), h('dd', { testid: 'medical-schedule-slots', dataset: { count: String(slots.length) } },
        h('span', { t: 'org.schedules.slotsText', tParams: { count: slots.length, capacity: first?.capacity ?? 0 } })),
      h('dt', { t: 'org.schedules.fee' }), h('dd', { testid: 'medical-schedule-fee', dataset: { fen: String(first?.fee_fen ?? 0) } }, formatFen(first?.fee_fen ?? 0)),
      stop ? [h('dt', { t: 'org.schedules.stopReason' }), h('dd', { testid: 'medical-schedule-reason' }, stop.reason),
        h('dt', { t: 'org.schedules.stopResult' }), h('dd', { testid: 'medical-schedule-stop-result' },
          h('span', { t: 'org.schedules.stopResultText', tParams: { count: stop.appointments_stopped, refund: formatFen(stop.refund_fen) } }))] : null),
    stop ? null : h('div', { class: 'stop' }, reason.row, stopButton),
    status)
}

function scheduleProblem (values) {
  if (!values.clinician_id) return 'org_clinician_missing'
  if (!DAY.test(values.day)) return 'org_day_missing'
  const start = minutesOf(values.start)
  const end = minutesOf(values.end)
  if (Number.isNaN(start) || Number.isNaN(end)) return 'org_time_missing'
  if (end <= start) return 'org_session_order'
  const minutes = values.slot_minutes
  if (!(minutes >= 5) || (end - start) % minutes !== 0 || (end - start) / minutes > MAX_SLOTS) return 'org_slot_minutes'
  if (!(values.capacity >= 1 && values.capacity <= 1000)) return 'org_capacity_range'
  if (!(values.fee_fen >= 0 && values.fee_fen <= MAX_FEE_FEN)) return 'org_fee_invalid'
  return null
}

function scheduleForm (ctx, onMade) {
  const clinician = field({ id: 'schedule-clinician-select', label: 'org.schedules.clinician', testid: 'schedule-clinician-select', type: 'select' })
  const day = field({ id: 'schedule-day', label: 'org.schedules.day', testid: 'schedule-day', type: 'date', value: cityToday() })
  const start = field({ id: 'schedule-start', label: 'org.schedules.start', testid: 'schedule-start', type: 'time', value: '08:00' })
  const end = field({ id: 'schedule-end', label: 'org.schedules.end', testid: 'schedule-end', type: 'time', value: '11:30' })
  const minutes = field({ id: 'schedule-slot-minutes', label: 'org.schedules.slotMinutes', testid: 'schedule-slot-minutes', type: 'number', min: '5', max: '1440', step: '5', value: '30', inputmode: 'numeric' })
  const capacity = field({ id: 'schedule-capacity', label: 'org.schedules.capacity', testid: 'schedule-capacity', type: 'number', min: '1', max: '1000', value: '10', inputmode: 'numeric' })
  const fee = field({ id: 'schedule-fee', label: 'org.schedules.feeYuan', testid: 'schedule-fee', inputmode: 'decimal', autocomplete: 'off', value: '10.00', 'aria-describedby': 'schedule-fee-hint' })
  fee.row.append(h('p', { class: 'hint', id: 'schedule-fee-hint', t: 'org.schedules.feeHint' }))
  const card = formCard({
    testid: 'schedule-form',
    title: 'org.schedules.createTitle',
    rows: [clinician.row, day.row, h('div', { class: 'field-pair' }, start.row, end.row), minutes.row, capacity.row, fee.row],
    hint: 'org.schedules.createHint',
    submitLabel: 'org.schedules.create',
    submitTestid: 'schedule-submit',
    statusTestid: 'schedule-status'
  })
  let names = new Map()
  const values = () => ({
    clinician_id: clinician.input.value,
    day: day.input.value,
    start: start.input.value,
    end: end.input.value,
    slot_minutes: integerOf(minutes.input.value),
    capacity: integerOf(capacity.input.value),
    fee_fen: fenOf(fee.input.value)
  })
  onSubmit(card, {
    check: () => scheduleProblem(values()),
    send: async () => {
      delete card.status.dataset.scheduleId
      const body = values()
      const schedule = await ctx.api.post(orgPath(ctx, 'medical', 'schedules'), body)
      showStatus(card.status, 'org.schedules.created', { count: schedule.slots?.length ?? 0 })
      card.status.dataset.scheduleId = schedule.id
      onMade(schedule, names.get(body.clinician_id) ?? body.clinician_id)
    },
    scope: 'org.scheduleCreate'
  })
  const offer = ({ clinicians, departments }) => {
    names = new Map(clinicians.map((c) => [c.id, clinicianLabel(c, departments)]))
    offerChoices(clinician.input, 'org.schedules.pickClinician', clinicians.map((c) => ({ value: c.id, label: names.get(c.id) })))
  }
  return { element: card.form, offer }
}
