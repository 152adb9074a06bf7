// 预约时段 (a reservation site's slots): POST
// /v1/orgs/{org}/access/sites/{site}/slots {starts_at, ends_at (RFC 3339),
// capacity (booked ahead, 0-100 000), walk_in_quota (sold at the gate,
// 0-100 000; the two not both 0)} → 201; within the site's opening hours
// and a day (400 bad_slot_time), not over (409 slot_past). The day and
// times are typed in the city's time. No route lists a site's slots to its
// admin (citizens see them on 出入通行), so the page lists those published
// from this tab, in memory only.
import { h, field, setText } from '../lib/dom.js'
import { showStatus } from '../lib/errors.js'
import { cityDateTimeMs, cityToday, formatDay, formatTime, onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { orgPath } from './org_api.js'
import { DAY, formCard, integerOf, minutesOf, onSubmit } from './forms.js'
import { loadAccessSites, siteChoice } from './access_common.js'

const MAX_PLACES = 100_000
const published = new Map() // org id → [{slot, site}] of this tab

export function renderSlotsView (main, ctx) {
  const list = panel('access-published-slots')
  const mine = () => published.get(ctx.org.id) ?? []
  const form = slotForm(ctx, (slot, site) => {
    published.set(ctx.org.id, [{ slot, site }, ...mine()])
    reload()
  })
  const reload = () => list.fill(async () => {
    form.offer(await loadAccessSites(ctx))
    return mine()
  }, (entries) => entries.length ? h('ul', { class: 'cards' }, entries.map(slotCard)) : null, 'org.slots.empty')
  main.append(h('h2', { t: 'org.slots.title' }), h('p', { class: 'lead', t: 'org.slots.lead' }),
    form.element,
    h('section', { class: 'org-section', 'aria-labelledby': 'slots-list-title' },
      h('h3', { id: 'slots-list-title', t: 'org.slots.list' }), h('p', { class: 'hint', t: 'org.slots.listHint' }), list.body))
  reload()
  return onLangChange(reload)
}

function slotCard ({ slot, site }) {
  return h('li', { class: 'card item', testid: 'published-slot', dataset: { slotId: slot.id, siteId: slot.site_id } },
    h('h4', { class: 'item__title', testid: 'published-slot-site' }, site),
    h('dl', { class: 'facts' },
      h('dt', { t: 'org.slots.when' }), h('dd', { testid: 'published-slot-time' }, `${formatTime(slot.starts_at)} – ${formatTime(slot.ends_at)}`),
      h('dt', { t: 'org.slots.capacity' }), h('dd', { testid: 'published-slot-capacity' }, String(slot.capacity)),
      h('dt', { t: 'org.slots.walkIns' }), h('dd', { testid: 'published-slot-walk-ins' }, String(slot.walk_in_quota))))
}

function slotForm (ctx, onMade) {
  const site = siteChoice({ id: 'slot-site', testid: 'slot-site', accepts: (s) => s.policy === 'reservations' })
  const day = field({ id: 'slot-day', label: 'org.slots.day', testid: 'slot-day', type: 'date', value: cityToday() })
  const start = field({ id: 'slot-start', label: 'org.slots.start', testid: 'slot-start', type: 'time', value: '09:00' })
  const end = field({ id: 'slot-end', label: 'org.slots.end', testid: 'slot-end', type: 'time', value: '10:00' })
  const capacity = field({ id: 'slot-capacity', label: 'org.slots.capacity', testid: 'slot-capacity', type: 'number', min: '0', max: String(MAX_PLACES), value: '50', inputmode: 'numeric' })
  const walkIns = field({ id: 'slot-walk-ins', label: 'org.slots.walkIns', testid: 'slot-walk-ins', type: 'number', min: '0', max: String(MAX_PLACES), value: '0', inputmode: 'numeric' })
  const hours = h('p', { class: 'hint', testid: 'slot-site-hours' })
  const card = formCard({
    testid: 'slot-form',
    title: 'org.slots.createTitle',
    rows: [site.row, hours, day.row, h('div', { class: 'field-pair' }, start.row, end.row), capacity.row, walkIns.row],
    submitLabel: 'org.slots.create',
    submitTestid: 'slot-submit',
    statusTestid: 'slot-status'
  })
  let sites = []
  const chosen = () => sites.find((s) => s.id === site.input.value)
  // The chosen site's opening hours, within which its slots must lie.
  const showHours = () => {
    const s = chosen()
    if (s) return setText(hours, 'org.slots.hours', { opens: s.opens, closes: s.closes })
    delete hours.dataset.i18n
    hours.textContent = ''
  }
  site.input.addEventListener('change', showHours)
  const times = () => ({ starts: cityDateTimeMs(`${day.input.value}T${start.input.value}`), ends: cityDateTimeMs(`${day.input.value}T${end.input.value}`) })
  onSubmit(card, {
    check: () => {
      if (!site.input.value) return 'org_site_missing'
      if (!DAY.test(day.input.value)) return 'org_day_missing'
      if (Number.isNaN(minutesOf(start.input.value)) || Number.isNaN(minutesOf(end.input.value))) return 'org_time_missing'
      const { starts, ends } = times()
      if (!(ends > starts)) return 'org_slot_order'
      const places = integerOf(capacity.input.value)
      const walk = integerOf(walkIns.input.value)
      if (!(places <= MAX_PLACES && walk <= MAX_PLACES) || places + walk === 0) return 'org_places_invalid'
      return null
    },
    send: async () => {
      delete card.status.dataset.slotId
      const { starts, ends } = times()
      const slot = await ctx.api.post(orgPath(ctx, 'access', 'sites', site.input.value, 'slots'), {
        starts_at: new Date(starts).toISOString(),
        ends_at: new Date(ends).toISOString(),
        capacity: integerOf(capacity.input.value),
        walk_in_quota: integerOf(walkIns.input.value)
      })
      showStatus(card.status, 'org.slots.created', { day: formatDay(day.input.value), time: `${formatTime(slot.starts_at)} – ${formatTime(slot.ends_at)}` })
      card.status.dataset.slotId = slot.id
      onMade(slot, chosen()?.name ?? '')
    },
    scope: 'org.slotCreate'
  })
  const offer = (list) => {
    sites = site.offer(list)
    showHours()
  }
  return { element: card.form, offer }
}
