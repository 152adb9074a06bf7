// 酒店设置 (a hotel's setup, kind hotel; hotel/hotel_routes.cc):
//   POST /v1/orgs/{org}/hotel/licence {licence_number (1-32 bytes)} → 200:
//     the special-trade licence (特种行业许可证) named in every police
//     report; without one the desk checks nobody in. The server answers no
//     GET of it, so the page shows only the number set from this tab.
//   GET|POST …/hotel/rooms {number (1-16 bytes)} → 201; a number the hotel
//     has is 409 room_exists. The front desk (/counter) lists the rooms.
import { h, field } from '../lib/dom.js'
import { showStatus } from '../lib/errors.js'
import { formatDateTime, onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { nameProblem, orgPath } from './org_api.js'
import { formCard, onSubmit } from './forms.js'

export function renderHotelView (main, ctx) {
  const rooms = panel('org-rooms')
  const reload = () => rooms.fill(async () => (await ctx.api.get(orgPath(ctx, 'hotel', 'rooms'))).rooms ?? [], roomList, 'org.hotel.roomsEmpty')
  main.append(h('h2', { t: 'org.hotel.title' }), h('p', { class: 'lead', t: 'org.hotel.lead' }),
    licenceForm(ctx),
    h('section', { class: 'org-section', 'aria-labelledby': 'org-rooms-title' },
      h('h3', { id: 'org-rooms-title', t: 'org.hotel.rooms' }), rooms.body, roomForm(ctx, reload)))
  reload()
  return onLangChange(reload)
}

function roomList (rooms) {
  if (!rooms.length) return null
  return h('ul', { class: 'org-list org-list--grid' }, rooms.map((room) =>
    h('li', { class: 'org-list__item', testid: 'org-room', dataset: { roomId: room.id, number: room.number }, title: formatDateTime(room.created_at) },
      h('span', { class: 'mono', testid: 'org-room-number' }, room.number))))
}

function licenceForm (ctx) {
  const number = field({ id: 'licence-input', label: 'org.hotel.licence', testid: 'licence-input', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'licence-hint' })
  number.row.append(h('p', { class: 'hint', id: 'licence-hint', t: 'org.hotel.licenceHint' }))
  const card = formCard({ testid: 'licence-form', title: 'org.hotel.licenceTitle', rows: [number.row], submitLabel: 'org.hotel.licenceSet', submitTestid: 'licence-submit', statusTestid: 'licence-status' })
  onSubmit(card, {
    check: () => nameProblem(number.input.value.trim(), 32, 'org_licence_missing', 'org_licence_long'),
    send: async () => {
      const set = await ctx.api.post(orgPath(ctx, 'hotel', 'licence'), { licence_number: number.input.value.trim() })
      showStatus(card.status, 'org.hotel.licenceDone', { number: set.licence_number })
    },
    scope: 'org.licence'
  })
  return card.form
}

function roomForm (ctx, reload) {
  const number = field({ id: 'room-number-input', label: 'org.hotel.roomNumber', testid: 'room-number-input', autocomplete: 'off', 'aria-describedby': 'room-number-hint' })
  number.row.append(h('p', { class: 'hint', id: 'room-number-hint', t: 'org.hotel.roomNumberHint' }))
  const card = formCard({ testid: 'room-form', title: 'org.hotel.roomAddTitle', rows: [number.row], submitLabel: 'org.hotel.roomAdd', submitTestid: 'room-submit', statusTestid: 'room-status' })
  onSubmit(card, {
    check: () => nameProblem(number.input.value.trim(), 16, 'org_room_missing', 'org_room_long'),
    send: async () => {
      const room = await ctx.api.post(orgPath(ctx, 'hotel', 'rooms'), { number: number.input.value.trim() })
      number.input.value = ''
      showStatus(card.status, 'org.hotel.roomAdded', { number: room.number })
      reload()
    },
    scope: 'org.room'
  })
  return card.form
}
