// My appointments (挂号): booking from the page — a hospital (GET
// /v1/medical/hospitals), a local day from today to booking_days_ahead (7)
// days on, that day's open slots (GET /v1/medical/slots?org_id&day: time,
// department, clinician, fee, places left; full ones listed, not bookable),
// POST …/medical/appointments {slot_id} — then the person's bookings,
// newest slot first, each with its hospital, time, department, clinician and
// fee; a booked one not yet started can be cancelled (two-step). A session
// the hospital stopped (停诊) shows as `stopped` with the reason and the fee to
// refund from its notice (GET …/medical/notices, also listed as 停诊通知);
// a booking never checked in as `no_show`. The booking status line (GET
// …/medical/booking-status) counts no-shows against the limit and says
// when online booking is paused (the hospital's kiosk still books).
// Then the person's health records and bill (medical_records.js) and, for
// the citizen themself, the hospitals allowed to read them (health_consent.js).
//
// A guardian with live dependants (GET /v1/me/dependants) chooses whom at
// the top: 本人 (/v1/me/medical/…) or a dependant
// (/v1/me/dependants/{id}/medical/…, the same routes acting for them).
import { h, confirmButton, field, statusLine } from '../lib/dom.js'
import { formatDateTime, formatFen, formatTime, has, t } from '../lib/i18n.js'
import { dayChoice } from '../lib/booking_days.js'
import { slotFacts } from '../lib/medical_slot.js'
import { clearStatus, showError, showStatus } from '../lib/errors.js'
import { serverNowMs } from '../lib/clock.js'
import { panel } from '../lib/panel.js'
import { billSection, recordsSection } from './medical_records.js'
import { healthConsentSection } from './health_consent.js'

// The server's [medical] booking_days_ahead in the demo and by default.
const BOOKING_DAYS_AHEAD = 7
// The selector's value for the citizen themself.
const SELF = 'self'
// The choices survive the view's re-render (a language switch, a tab change).
const chosen = { orgId: null, day: null, person: SELF }

export function renderAppointmentsView (main, ctx) {
  const personSlot = h('div')
  const view = h('div', { class: 'medical-person-view', testid: 'medical-person-view' })
  const showFor = (person) => {
    chosen.person = person?.id ?? SELF
    view.dataset.person = chosen.person
    view.replaceChildren(...personSections(ctx, person))
  }
  main.append(h('h2', { t: 'appointments.title' }), h('p', { class: 'lead', t: 'appointments.lead' }), personSlot, view)
  // The citizen at once; a dependant chosen before once the list says they
  // are still one (a link may have ended meanwhile).
  if (chosen.person === SELF) showFor(null)
  loadDependants(ctx).then((live) => {
    const person = live.find((d) => d.id === chosen.person) ?? null
    if (chosen.person !== SELF || !view.childElementCount) showFor(person)
    if (live.length) personSlot.replaceChildren(personSelector(live, showFor))
  })
}

// The live dependants as {id, name}; none when the list cannot be had.
async function loadDependants (ctx) {
  try {
    const { dependants = [] } = await ctx.api.get('/v1/me/dependants')
    return dependants.filter((d) => d.live).map((d) => ({ id: d.dependant_id, name: d.name }))
  } catch {
    return []
  }
}

function personSelector (dependants, showFor) {
  const person = field({ id: 'medical-person', label: 'medical.person', testid: 'medical-person', type: 'select' })
  person.input.append(h('option', { value: SELF, t: 'medical.self' }),
    ...dependants.map((d) => h('option', { value: d.id }, d.name)))
  person.input.value = chosen.person
  person.input.addEventListener('change', () => showFor(dependants.find((d) => d.id === person.input.value) ?? null))
  return h('div', { class: 'card form person-select' }, person.row, h('p', { class: 'hint', t: 'medical.personHint' }))
}

// Where the person's medical routes are: the citizen's own, or a dependant's.
function medicalBase (person) {
  return person ? `/v1/me/dependants/${encodeURIComponent(person.id)}/medical` : '/v1/me/medical'
}

// Booking, appointments, records and bill of one person; the health-data
// consent for the citizen themself only (grants are their own).
function personSections (ctx, person) {
  const base = medicalBase(person)
  const bill = billSection(ctx, base)
  const list = panel('appointments')
  // A booking or a cancellation changes the list and the bill.
  const refresh = () => { reload(); bill.reload() }
  const reload = () => list.fill(async () => {
    // Notices and booking status are extras: the list shows without them.
    const [mine, notices, status] = await Promise.all([
      ctx.api.get(`${base}/appointments`),
      ctx.api.get(`${base}/notices`).catch(() => ({ notices: [] })),
      ctx.api.get(`${base}/booking-status`).catch(() => null)
    ])
    return { appointments: mine.appointments, notices: notices.notices ?? [], status }
  }, ({ appointments, notices, status }) => {
    const byAppointment = new Map(notices.map((n) => [n.appointment_id, n]))
    const parts = [
      status ? bookingStatusLine(status) : null,
      notices.length ? noticesSection(notices) : null,
      appointments.length
        ? h('ul', { class: 'cards' }, appointments.map((a) => appointmentCard(a, ctx, base, refresh, byAppointment.get(a.id))))
        : h('p', { class: 'empty', testid: 'appointments-empty', t: person ? 'appointments.emptyFor' : 'appointments.empty', tParams: person ? { name: person.name } : undefined })
    ].filter(Boolean)
    return h('div', {}, parts)
  }, 'appointments.empty')
  reload()
  return [
    bookingSection(ctx, person, refresh),
    h('section', { 'aria-labelledby': 'appointments-mine' },
      person
        ? h('h3', { id: 'appointments-mine', t: 'appointments.for', tParams: { name: person.name } })
        : h('h3', { id: 'appointments-mine', t: 'appointments.mine' }),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button button--secondary', t: 'appointments.refresh', testid: 'appointments-refresh', onclick: refresh })),
      list.body),
    recordsSection(ctx, base),
    bill.section,
    person ? h('p', { class: 'hint', testid: 'health-consent-self-only', t: 'health.selfOnly' }) : healthConsentSection(ctx)
  ]
}

// The booking form: hospital, day, that day's slots, each with its own button.
function bookingSection (ctx, person, booked) {
  const form = panel('appointments-book')
  const slots = panel('book-slots')
  const status = statusLine('book-status')
  let hospital = null
  let day = null

  const loadSlots = () => {
    if (!hospital || !day) return
    return slots.fill(
      () => ctx.api.get(`/v1/medical/slots?org_id=${encodeURIComponent(hospital.value)}&day=${encodeURIComponent(day.value)}`),
      ({ slots: list }) => list.length ? h('ul', { class: 'plain slots' }, list.map((s) => slotRow(s, book))) : null,
      'appointments.noSlots')
  }
  const book = async (slot, button) => {
    button.disabled = true
    clearStatus(status)
    try {
      const appointment = await ctx.api.post(`${medicalBase(person)}/appointments`, { slot_id: slot.id })
      const where = { hospital: appointment.slot?.org_name ?? slot.org_name ?? '', time: formatDateTime(appointment.slot?.starts_at ?? slot.starts_at) }
      if (person) showStatus(status, 'appointments.bookedFor', { ...where, name: person.name })
      else showStatus(status, 'appointments.booked', where)
      status.dataset.appointmentId = appointment.id
      booked()
    } catch (error) {
      delete status.dataset.appointmentId
      showError(status, error)
    }
    loadSlots()
  }

  form.fill(() => ctx.api.get('/v1/medical/hospitals'), ({ hospitals }) => {
    if (!hospitals.length) return null
    const org = field({ id: 'book-hospital', label: 'appointments.hospital', testid: 'book-hospital', type: 'select' })
    org.input.append(...hospitals.map((x) => h('option', { value: x.org_id }, x.name)))
    if (hospitals.some((x) => x.org_id === chosen.orgId)) org.input.value = chosen.orgId
    const days = dayChoice({ id: 'book-day', label: 'appointments.day', testid: 'book-day', ahead: BOOKING_DAYS_AHEAD, chosen: chosen.day })
    hospital = org.input
    day = days.input
    const changed = () => {
      chosen.orgId = hospital.value
      chosen.day = day.value
      clearStatus(status)
      loadSlots()
    }
    hospital.addEventListener('change', changed)
    day.addEventListener('change', changed)
    loadSlots()
    return h('div', { class: 'form form--inline booking__choose' }, org.row, days.row)
  }, 'appointments.noHospitals')

  return h('section', { class: 'card booking', 'aria-labelledby': 'appointments-book-title', testid: 'booking' },
    person
      ? h('h3', { id: 'appointments-book-title', t: 'appointments.bookFor', tParams: { name: person.name } })
      : h('h3', { id: 'appointments-book-title', t: 'appointments.book' }),
    h('p', { class: 'hint', t: 'appointments.bookHint', tParams: { days: BOOKING_DAYS_AHEAD } }),
    form.body, slots.body, status)
}

// One slot: "08:00–08:30 · 内科 · 张医生 主任医师 · ¥10.00 · 余 5 个" and its button
// (disabled when full or its session is stopped, 停诊).
function slotRow (s, book) {
  const full = s.remaining <= 0 || s.stopped === true
  const textId = `book-slot-${s.id}`
  const clinician = [s.clinician?.name, s.clinician?.title].filter(Boolean).join(' ')
  const text = [`${formatTime(s.starts_at)}–${formatTime(s.ends_at)}`, s.department?.name, clinician, formatFen(s.fee_fen ?? 0),
    s.stopped ? t('appointmentState.stopped') : full ? t('medical.full') : t('medical.left', { n: s.remaining })].filter(Boolean).join(' · ')
  const button = h('button', {
    type: 'button', class: `button ${full ? 'button--secondary' : 'button--primary'}`, testid: 'book-slot-submit',
    t: s.stopped ? 'appointmentState.stopped' : full ? 'appointments.slotFull' : 'appointments.bookThis', disabled: full, 'aria-describedby': textId
  })
  button.addEventListener('click', () => book(s, button))
  return h('li', { class: `slot${full ? ' slot--full' : ''}`, testid: 'book-slot', dataset: { slotId: s.id, remaining: String(s.remaining), stopped: String(s.stopped === true) } },
    h('span', { id: textId, class: 'slot__text', testid: 'book-slot-text' }, text), button)
}

// "No-shows: 1 of 3 within 90 days" — and, when blocked, until when and the kiosk.
function bookingStatusLine (s) {
  const counted = t('appointments.noShows', { n: s.no_shows_in_window ?? 0, limit: s.limit ?? 0, days: s.window_days ?? 0 })
  return h('p', {
    class: `status${s.blocked_until ? ' status--error' : ''}`, testid: 'booking-status',
    dataset: { noShows: String(s.no_shows_in_window ?? 0), limit: String(s.limit ?? 0), blockedUntil: s.blocked_until ?? '' }
  }, s.blocked_until ? `${counted} ${t('appointments.blocked', { until: formatDateTime(s.blocked_until) })}` : counted)
}

// 停诊通知: each stopped session's notice, newest first.
function noticesSection (notices) {
  return h('section', { class: 'card notices', 'aria-labelledby': 'appointments-notices', testid: 'notices' },
    h('h3', { id: 'appointments-notices', t: 'appointments.notices' }),
    h('ul', { class: 'plain' }, notices.map((n) => h('li', { testid: 'notice', dataset: { appointmentId: n.appointment_id, refundFen: String(n.refund_fen ?? 0) } },
      t('appointments.noticeText', {
        hospital: n.org_name ?? '', time: formatDateTime(n.slot_starts_at), department: n.department_name ?? '',
        clinician: n.clinician_name ?? '', reason: n.reason ?? '', amount: formatFen(n.refund_fen ?? 0)
      })))))
}

function appointmentCard (a, ctx, base, reload, notice) {
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
          await ctx.api.post(`${base}/appointments/${encodeURIComponent(a.id)}/cancel`)
          reload()
        } catch (error) {
          showError(status, error)
        }
      }
    })
    : null
  const badge = a.state === 'booked' ? 'badge--ok' : 'badge--muted'
  const stateKey = has(`appointmentState.${a.state}`) ? `appointmentState.${a.state}` : null
  return h('li', { class: 'card item', testid: 'appointment', dataset: { appointmentId: a.id, state: a.state, slotId: a.slot.id } },
    h('h3', { class: 'item__title' }, `${a.slot.department?.name ?? ''} · ${a.slot.clinician?.name ?? ''}`),
    stateKey ? h('p', { class: `badge ${badge}`, testid: 'appointment-state', t: stateKey }) : h('p', { class: `badge ${badge}`, testid: 'appointment-state' }, a.state),
    slotFacts(a.slot,
      h('dt', { t: 'appointments.channel' }), h('dd', { t: `bookingChannel.${a.channel}` }),
      h('dt', { t: 'appointments.bookedAt' }), h('dd', {}, formatDateTime(a.booked_at)),
      a.cancelled_at && a.state !== 'stopped' ? [h('dt', { t: 'appointments.cancelledAt' }), h('dd', {}, formatDateTime(a.cancelled_at))] : null,
      a.state === 'stopped' && notice
        ? [h('dt', { t: 'appointments.stopReason' }), h('dd', { testid: 'appointment-stop-reason' }, notice.reason ?? ''),
            h('dt', { t: 'appointments.refund' }), h('dd', { testid: 'appointment-refund', dataset: { fen: String(notice.refund_fen ?? 0) } }, t('appointments.refundText', { amount: formatFen(notice.refund_fen ?? 0) }))]
        : null),
    status, cancel)
}
