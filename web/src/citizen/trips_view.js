// My trips and daily bill for a chosen day: each trip's fare and the rules
// that made it (a promotion such as the summer-night ¥1 rule named as such).
import { h, field } from '../lib/dom.js'
import { cityToday, formatFen, formatTime, has, t } from '../lib/i18n.js'
import { panel } from './panel.js'

export function renderTripsView (main, ctx) {
  const day = field({ id: 'trips-day', label: 'trips.day', testid: 'trips-day', type: 'date', value: cityToday(), max: cityToday() })
  const trips = panel('trips')
  const bill = panel('bill')
  const load = () => {
    const d = day.input.value
    if (!d) return
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

// "kind=complete;category=adult;channel=app;window=summer_night_2026@20260715;daily_cap"
export function parseRules (text = '') {
  const rules = {}
  for (const part of text.split(';')) {
    if (!part) continue
    const at = part.indexOf('=')
    if (at < 0) rules[part] = true
    else rules[part.slice(0, at)] = part.slice(at + 1)
  }
  return rules
}

function ruleChips (rules) {
  const chips = []
  if (rules.window) {
    const id = rules.window.split('@')[0]
    const named = id.startsWith('summer_night')
    chips.push(h('li', { class: 'chip chip--promo', testid: 'rule-promotion', dataset: { window: id } },
      named ? h('span', { t: 'rules.summerNight' }) : h('span', { t: 'rules.window', tParams: { id } })))
  }
  if (rules.daily_cap) chips.push(h('li', { class: 'chip chip--promo', testid: 'rule-daily-cap', t: 'rules.dailyCap' }))
  if (rules.category && rules.category !== 'adult') {
    chips.push(h('li', { class: 'chip', testid: 'rule-category', t: 'rules.category', tParams: { category: t(`rider.${rules.category}`) } }))
  }
  if (rules.kind && rules.kind !== 'complete') {
    chips.push(h('li', { class: 'chip chip--warn', t: has(`tripKind.${rules.kind}`) ? `tripKind.${rules.kind}` : 'tripKind.other' }))
  }
  if (rules.product) chips.push(h('li', { class: 'chip chip--muted' }, rules.product))
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
