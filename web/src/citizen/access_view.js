// 出入通行 (the access scene): reservations at scenic areas, the visitor
// passes a resident issues (access_passes.js) and redeeming a pass someone
// sent.
//
// Reservations: a site taking them (GET /v1/access/sites), a local day from
// today to booking_days_ahead (7) days on, that day's slots (GET
// /v1/access/sites/{site}/slots?day=: time, places left; full or past ones
// listed, not bookable), POST /v1/me/access/bookings {slot_id}; then my
// bookings (GET /v1/me/access/bookings), each cancellable until its slot
// ends (DELETE /v1/me/access/bookings/{id}, two steps), which frees the
// place at once. Refusals in words (error.access.<code> first: the medical
// scene says already_booked of a clinician's session).
import { h, confirmButton, field, statusLine } from '../lib/dom.js'
import { formatDateTime, formatTime, t } from '../lib/i18n.js'
import { dayChoice } from '../lib/booking_days.js'
import { clearStatus, showError, showStatus } from '../lib/errors.js'
import { serverNowMs } from '../lib/clock.js'
import { ACCESS, siteName } from '../lib/access_site.js'
import { panel } from '../lib/panel.js'
import { claimSection, passesSection } from './access_passes.js'

// The server's [access] booking_days_ahead by default and in the demo.
const BOOKING_DAYS_AHEAD = 7
// The choices survive the view's re-render (a language switch, a tab change).
const chosen = { siteId: null, day: null }

export function renderAccessView (main, ctx) {
  main.append(h('h2', { t: 'access.title' }), h('p', { class: 'lead', t: 'access.lead' }),
    reservationsSection(ctx), passesSection(ctx), claimSection(ctx))
}

function reservationsSection (ctx) {
  const bookings = panel('access-bookings')
  const reloadBookings = () => bookings.fill(() => ctx.api.get('/v1/me/access/bookings'), ({ bookings: list }) => {
    // The latest first; cancelled and past ones after those still to come.
    const now = serverNowMs()
    const upcoming = list.filter((b) => !b.cancelled && Date.parse(b.ends_at) > now)
    const others = list.filter((b) => !upcoming.includes(b)).reverse()
    return list.length ? h('ul', { class: 'cards' }, [...upcoming, ...others].map((b) => bookingCard(b, ctx, changed))) : null
  }, 'access.bookings.empty')
  const form = bookingForm(ctx, () => reloadBookings())
  // A cancellation frees a place: the slots shown are asked again.
  const changed = () => { reloadBookings(); form.reloadSlots() }
  reloadBookings()
  return h('section', { class: 'access-section', 'aria-labelledby': 'access-reserve-title', testid: 'access-reservations' },
    h('h3', { id: 'access-reserve-title', t: 'access.reserve.title' }),
    form.card,
    h('h4', { id: 'access-bookings-title', class: 'access-section__sub', t: 'access.bookings.title' }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button button--secondary', t: 'access.refresh', testid: 'access-bookings-refresh', onclick: changed })),
    bookings.body)
}

// Site, day, that day's slots, each with its own button.
function bookingForm (ctx, booked) {
  const choose = panel('access-book')
  const slots = panel('access-slots')
  const status = statusLine('access-book-status')
  let site = null
  let day = null
  let sites = []

  const loadSlots = () => {
    if (!site || !day) return null
    return slots.fill(
      () => ctx.api.get(`/v1/access/sites/${encodeURIComponent(site.value)}/slots?day=${encodeURIComponent(day.value)}`),
      ({ slots: list }) => list.length ? h('ul', { class: 'plain slots' }, list.map((s) => slotRow(s, book))) : null,
      'access.reserve.noSlots')
  }
  const book = async (slot, button) => {
    button.disabled = true
    clearStatus(status)
    try {
      const booking = await ctx.api.post('/v1/me/access/bookings', { slot_id: slot.id })
      const where = sites.find((s) => s.id === booking.site_id)
      showStatus(status, 'access.reserve.booked', { site: siteName(booking.site ?? where?.name, booking.org_name ?? where?.org_name), time: formatDateTime(booking.starts_at) })
      status.dataset.bookingId = booking.id
      booked()
    } catch (error) {
      delete status.dataset.bookingId
      showError(status, error, ACCESS)
    }
    loadSlots()
  }

  choose.fill(() => ctx.api.get('/v1/access/sites'), ({ sites: list }) => {
    if (!list.length) return null
    sites = list
    const where = field({ id: 'access-site', label: 'access.reserve.site', testid: 'access-site', type: 'select' })
    where.input.append(...list.map((s) => h('option', { value: s.id }, siteName(s.name, s.org_name))))
    if (list.some((s) => s.id === chosen.siteId)) where.input.value = chosen.siteId
    const days = dayChoice({ id: 'access-day', label: 'access.reserve.day', testid: 'access-day', ahead: BOOKING_DAYS_AHEAD, chosen: chosen.day })
    site = where.input
    day = days.input
    const changed = () => {
      chosen.siteId = site.value
      chosen.day = day.value
      clearStatus(status)
      loadSlots()
    }
    site.addEventListener('change', changed)
    day.addEventListener('change', changed)
    loadSlots()
    return h('div', { class: 'form form--inline booking__choose' }, where.row, days.row)
  }, 'access.reserve.noSites')

  const card = h('div', { class: 'card booking', testid: 'access-booking-form' },
    h('p', { class: 'hint', t: 'access.reserve.hint', tParams: { days: BOOKING_DAYS_AHEAD } }),
    choose.body, slots.body, status)
  return { card, reloadSlots: loadSlots }
}

// "08:00–09:00 · 余 49 个" and its button (disabled when full or over).
function slotRow (s, book) {
  const over = Date.parse(s.ends_at) <= serverNowMs()
  const full = s.available <= 0
  const closed = over || full
  const textId = `access-slot-${s.id}`
  const text = [`${formatTime(s.starts_at)}–${formatTime(s.ends_at)}`,
    over ? t('access.reserve.over') : full ? t('access.reserve.full') : t('access.reserve.left', { n: s.available })].join(' · ')
  const button = h('button', {
    type: 'button', class: `button ${closed ? 'button--secondary' : 'button--primary'}`, testid: 'access-slot-submit',
    t: over ? 'access.reserve.over' : full ? 'access.reserve.full' : 'access.reserve.bookThis', disabled: closed, 'aria-describedby': textId
  })
  button.addEventListener('click', () => book(s, button))
  return h('li', { class: `slot${closed ? ' slot--full' : ''}`, testid: 'access-slot', dataset: { slotId: s.id, available: String(s.available) } },
    h('span', { id: textId, class: 'slot__text', testid: 'access-slot-text' }, text), button)
}

function bookingState (b) {
  if (b.cancelled) return 'cancelled'
  return Date.parse(b.ends_at) <= serverNowMs() ? 'over' : 'booked'
}

function bookingCard (b, ctx, changed) {
  const state = bookingState(b)
  const status = statusLine()
  const cancel = state === 'booked'
    ? confirmButton({
      label: 'access.bookings.cancel',
      question: 'access.bookings.cancelConfirm',
      confirmLabel: 'access.bookings.cancelYes',
      testid: 'access-booking-cancel',
      action: async () => {
        try {
          await ctx.api.del(`/v1/me/access/bookings/${encodeURIComponent(b.id)}`)
          changed()
        } catch (error) {
          showError(status, error, ACCESS)
        }
      }
    })
    : null
  return h('li', { class: 'card item', testid: 'access-booking', dataset: { bookingId: b.id, state, slotId: b.slot_id } },
    h('h5', { class: 'item__title', testid: 'access-booking-site' }, siteName(b.site, b.org_name)),
    h('p', { class: `badge ${state === 'booked' ? 'badge--ok' : 'badge--muted'}`, testid: 'access-booking-state', t: `access.bookingState.${state}` }),
    h('dl', { class: 'facts' },
      h('dt', { t: 'access.bookings.time' }),
      h('dd', { testid: 'access-booking-time' }, `${formatDateTime(b.starts_at)}–${formatTime(b.ends_at)}`),
      h('dt', { t: 'access.bookings.how' }), h('dd', { t: b.walk_in ? 'access.bookings.walkIn' : 'access.bookings.online' })),
    status, cancel)
}
