// My trips and daily bill for a chosen day: each trip's fare and the rules
// that made it (a promotion such as the summer-night ¥1 rule named as such).
import { h, field } from '../lib/dom.js'
import { cityToday, formatFen, formatTime, has, t } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { fareNotes, parseRules } from './fare_rules.js'

export function renderTripsView (main, ctx, params) {
  // The chosen day outlives a re-render (a language switch).
  params.day ??= cityToday()
  const day = field({ id: 'trips-day', label: 'trips.day', testid: 'trips-day', type: 'date', value: params.day, max: cityToday() })
  const trips = panel('trips')
  const bill = panel('bill')
  const load = () => {
    const d = day.input.value
    if (!d) return
    params.day = d
    const query = `?day=${encodeURIComponent(d)}`
    trips.fill(() => ctx.api.get(`/v1/me/trips${query}`), renderTrips, 'trips.empty')
    bill.fill(() => ctx.api.get(`/v1/me/bill${query}`), renderBill, 'trips.empty')
  }
  day.input.addEventListener('change', load)
  main.append(h('h2', { t: 'trips.title' }), h('p', { class: 'lead', t: 'trips.lead' }),
    h('div', { class: 'card form form--inline' }, day.row),
    h('section', { 'aria-labelledby': 'trips-list' }, h('h3', { id: 'trips-list', t: 'trips.trips' }), trips.body),
    h('section', { 'aria-labelledby': 'trips-bill' }, h('h3', { id: 'trips-bill', t: 'trips.bill' }), bill.body))
  load()
}

function renderTrips ({ trips, total }) {
  if (!trips.length) return null
  return h('div', {},
    h('ul', { class: 'cards' }, trips.map(tripCard)),
    h('p', { class: 'total' }, h('span', { t: 'trips.dayTotal' }), ' ', h('strong', { testid: 'trips-total' }, formatFen(total))))
}

function tripCard (trip) {
  const rules = parseRules(trip.rules)
  const discounted = trip.amount !== trip.base_amount
  return h('li', { class: 'card item trip', testid: 'trip', dataset: { tripId: trip.trip_id, rules: trip.rules } },
    h('h4', { class: 'item__title' }, `${formatTime(trip.start)} · ${trip.agency_name || trip.agency_id}`),
    h('p', { class: 'fare' },
      h('strong', { class: 'fare__amount', testid: 'trip-amount' }, formatFen(trip.amount)),
      discounted ? [' ', h('s', { class: 'fare__base' }, formatFen(trip.base_amount))] : null),
    h('ul', { class: 'rule-chips', testid: 'trip-rules' }, ruleChips(rules)))
}

const CHIP_CLASS = { promotion: 'chip chip--promo', cap: 'chip chip--promo', category: 'chip', trip: 'chip chip--warn' }
const CHIP_TESTID = { promotion: 'rule-promotion', cap: 'rule-daily-cap', category: 'rule-category', trip: 'rule-trip-kind' }

function ruleChips (rules) {
  const chips = fareNotes(rules).map((note) => {
    const params = note.category ? { category: t(`rider.${note.category}`) } : note.params
    const key = note.kind === 'trip' && !has(note.key) ? 'tripKind.other' : note.key
    return h('li', { class: CHIP_CLASS[note.kind], testid: CHIP_TESTID[note.kind], dataset: note.window ? { window: note.window } : {}, t: key, tParams: params })
  })
  return chips
}

function renderBill (bill) {
  const entries = (list, key) => list.map((a) => h('li', {}, h('span', { t: key }), ` ${formatFen(a.amount)} ${a.memo ?? ''}`))
  return h('div', { class: 'card bill', testid: 'bill-card' },
    h('dl', { class: 'facts' },
      h('dt', { t: 'bill.trips' }), h('dd', {}, String(bill.trips.length)),
      h('dt', { t: 'bill.total' }), h('dd', { testid: 'bill-total' }, formatFen(bill.total)),
      h('dt', { t: 'bill.balance' }), h('dd', { testid: 'bill-balance' }, formatFen(bill.balance))),
    bill.adjustments.length || bill.refunds.length
      ? h('ul', { class: 'plain' }, entries(bill.adjustments, 'bill.adjustment'), entries(bill.refunds, 'bill.refund'))
      : null)
}
