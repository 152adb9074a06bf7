// A hotel's front desk (a terminal of the hotel scene, the clerk signed
// in): check-in without an ID card (免证入住). The clerk chooses a free room
// (GET /v1/hotel/rooms), each guest's code is read into the party (the page
// cannot know names before the check-in, so they are "guest 1, guest 2…"),
// guests without the code are entered by hand, and 办理入住 sends
// POST /v1/hotel/stays {room_id, codes, by_hand}: the server verifies each
// code, fetches the guest's ID card and answers the stay with the names.
// Below the counter: the stays and their police reports (hotel_stays.js).
// Hand entries live in this closure only, never in storage, a URL or a log.
import { h, field, statusLine } from '../../lib/dom.js'
import { cityToday, onLangChange, t } from '../../lib/i18n.js'
import { clearStatus, showError, showStatus } from '../../lib/errors.js'
import { refusalReason } from '../verdict.js'
import { guestList, staysCard } from './hotel_stays.js'

const MAX_GUESTS = 10 // the server's kMaxGuests

// Refusals the server gives before it verifies any code: the party's codes
// are still unused and can be sent again. After any other refusal a code
// may be spent (each is one use), so the guests show fresh ones.
const BEFORE_CODES = new Set(['room_occupied', 'no_licence', 'not_found', 'staff_required',
  'bad_guest', 'invalid_argument', 'not_a_hotel_terminal'])

const DOCUMENT_TYPES = ['passport', 'hk_macao_permit', 'taiwan_permit', 'foreign_permanent_residence', 'resident_id_card']

export const hotelDeskStep = {
  id: 'hotel-desk',
  matches: (terminal) => terminal.scene === 'hotel',
  action: { label: 'hotel.addGuest', testid: 'add-guest' },
  mount (container, ctx) {
    const rooms = roomPicker(ctx)
    const party = partyCard(ctx, { roomId: rooms.value, afterCheckIn: () => reload() })
    const stays = staysCard(ctx, { freeRooms: rooms.free, onChanged: () => reload() })
    const reload = async () => {
      await rooms.load()
      await stays.load()
    }
    container.append(party.card, party.result)
    reload()
    const stopLang = onLangChange(() => { rooms.draw(); party.draw(); stays.draw() })
    return {
      beforeScan: rooms.card,
      below: stays.card,
      onCode: party.addCode,
      stop: () => { stopLang(); stays.stop() }
    }
  }
}

// The room for the check-in: the hotel's rooms by number, the occupied
// ones listed but not choosable; the choice survives a reload while free.
function roomPicker (ctx) {
  let rooms = []
  const select = field({ id: 'hotel-room', label: 'hotel.room', testid: 'hotel-room', type: 'select' })
  const status = statusLine('rooms-status')
  const refresh = h('button', { type: 'button', class: 'button button--secondary', t: 'hotel.refreshRooms', testid: 'rooms-refresh' })
  const card = h('section', { class: 'card', 'aria-labelledby': 'rooms-title' },
    h('h2', { id: 'rooms-title', t: 'hotel.chooseRoom' }), select.row, status, h('div', { class: 'actions' }, refresh))

  const draw = () => {
    const keep = select.input.value
    select.input.replaceChildren(...rooms.map((r) => h('option', {
      value: r.id, disabled: r.occupied, dataset: { occupied: String(r.occupied), number: r.number }
    }, r.occupied ? t('hotel.occupiedRoom', { room: r.number }) : r.number)))
    const free = rooms.filter((r) => !r.occupied)
    if (free.some((r) => r.id === keep)) select.input.value = keep
    else select.input.value = free[0]?.id ?? ''
  }
  const load = async () => {
    refresh.disabled = true
    try {
      rooms = (await ctx.api.get('/v1/hotel/rooms')).rooms ?? []
      draw()
      if (!rooms.some((r) => !r.occupied)) showStatus(status, 'hotel.noFreeRoom')
      else clearStatus(status)
    } catch (error) {
      showError(status, error)
    } finally {
      refresh.disabled = false
    }
  }
  refresh.addEventListener('click', load)
  return {
    card,
    load,
    draw,
    value: () => select.input.value,
    free: () => rooms.filter((r) => !r.occupied)
  }
}

// The party: codes read by the scanner and guests entered by hand, then
// the check-in; its result (the stay's room and the guests' names) below.
function partyCard (ctx, { roomId, afterCheckIn }) {
  let entries = [] // {code} or {record}, in the order added
  let lastStay = null
  const list = h('ol', { class: 'party', testid: 'party' })
  const status = statusLine('check-in-status')
  const checkIn = h('button', { type: 'button', class: 'button button--primary button--big', t: 'hotel.checkIn', testid: 'check-in' })
  const hand = handEntryForm((record) => add({ record }))
  const card = h('section', { class: 'card', 'aria-labelledby': 'party-title' },
    h('h2', { id: 'party-title', t: 'hotel.partyTitle' }),
    h('p', { class: 'hint', t: 'hotel.partyHint' }),
    list, hand.details, status, h('div', { class: 'actions' }, checkIn))
  const result = h('section', { class: 'card', testid: 'hotel-stay-result', 'aria-labelledby': 'stay-result-title', hidden: true })

  function draw () {
    list.replaceChildren(...entries.map((entry, i) => partyRow(entry, i, () => {
      entries = entries.filter((e) => e !== entry)
      draw()
      checkIn.focus()
    })))
    if (!entries.length) list.append(h('li', { class: 'hint party__empty', testid: 'party-empty', t: 'hotel.partyEmpty' }))
    list.dataset.count = String(entries.length)
    if (lastStay) drawResult(result, lastStay)
  }

  // false (and says why) when the party cannot take one more.
  function add (entry) {
    if (entries.length >= MAX_GUESTS) {
      showError(status, { code: 'party_full' })
      return false
    }
    if (entry.code && entries.some((e) => e.code === entry.code)) {
      showError(status, { code: 'code_in_party' })
      return false
    }
    entries.push(entry)
    draw()
    showStatus(status, 'hotel.guestAdded', { n: entries.length })
    return true
  }

  async function addCode (text) {
    // Anything but a CC1 code is refused here, before it can spoil a party.
    if (!text.startsWith('CC1:')) return ctx.verdict.show('refused', 'malformed')
    if (add({ code: text })) ctx.verdict.show('idle', '', 'hotel.guestAdded', { n: entries.length })
  }

  async function send () {
    const body = {
      room_id: roomId(),
      codes: entries.filter((e) => e.code).map((e) => e.code),
      by_hand: entries.filter((e) => e.record).map((e) => e.record)
    }
    // Said on the status line: nothing was sent, so there is no verdict.
    if (!body.room_id) return showError(status, { code: 'room_missing' })
    if (!entries.length) return showError(status, { code: 'party_empty' })
    checkIn.disabled = true
    ctx.verdict.show('busy')
    try {
      const stay = await ctx.api.post('/v1/hotel/stays', body)
      entries = []
      lastStay = stay
      result.dataset.stayId = stay.id
      result.dataset.room = stay.room
      result.hidden = false
      draw()
      ctx.verdict.show('valid', 'valid', 'hotel.checkedIn', { room: stay.room })
      showStatus(status, 'hotel.checkedIn', { room: stay.room })
    } catch (error) {
      refused(error)
    } finally {
      checkIn.disabled = false
    }
    afterCheckIn()
  }

  // The refusal in words on the verdict; the status line says what next.
  function refused (error) {
    const reason = refusalReason(error)
    ctx.verdict.show('refused', reason)
    lastStay = null
    result.hidden = true
    const kept = BEFORE_CODES.has(error.code)
    const hadCodes = entries.some((e) => e.code)
    if (!kept) entries = entries.filter((e) => !e.code)
    draw()
    showStatus(status, kept || !hadCodes ? 'hotel.partyKept' : 'hotel.rescan')
    status.classList.add('status--error')
    status.dataset.errorCode = reason
  }

  checkIn.addEventListener('click', send)
  draw()
  return { card, result, draw, addCode }
}

// One guest of the party: a code is "guest N · by code" (no name until the
// check-in); a hand entry shows what the clerk typed.
function partyRow (entry, i, remove) {
  const what = entry.code
    ? h('span', { t: 'hotel.byCode' })
    : [h('span', { t: 'hotel.byHandName', tParams: { name: entry.record.name } }), ' · ', h('span', { t: `document.${entry.record.document_type}` })]
  return h('li', { class: 'party__guest', testid: 'party-guest', dataset: { source: entry.code ? 'code' : 'hand' } },
    h('span', {}, h('strong', { t: 'hotel.guestN', tParams: { n: i + 1 } }), ' · ', what),
    h('button', { type: 'button', class: 'button button--link', t: 'hotel.removeGuest', testid: 'party-guest-remove', onclick: remove }))
}

function drawResult (result, stay) {
  result.replaceChildren(
    h('h2', { id: 'stay-result-title', t: 'hotel.resultTitle' }),
    h('dl', { class: 'facts' },
      h('dt', { t: 'hotel.room' }), h('dd', { testid: 'stay-room' }, stay.room),
      h('dt', { t: 'hotel.guests' }), h('dd', {}, guestList(stay.guests))))
}

// A guest without the code (a foreign passport, no phone), entered by the
// clerk: every field the police report needs. Checked here so a mistake is
// said before the check-in, in the clerk's language.
function handEntryForm (onAdd) {
  const name = field({ id: 'hand-name', label: 'hand.name', testid: 'hand-name', maxlength: '64', autocomplete: 'off', spellcheck: 'false' })
  const type = field({ id: 'hand-document-type', label: 'hand.documentType', testid: 'hand-document-type', type: 'select' })
  type.input.append(...DOCUMENT_TYPES.map((key) => h('option', { value: key, t: `document.${key}` })))
  const number = field({ id: 'hand-document-number', label: 'hand.documentNumber', testid: 'hand-document-number', maxlength: '32', autocomplete: 'off', spellcheck: 'false' })
  const sex = field({ id: 'hand-sex', label: 'hand.sex', testid: 'hand-sex', type: 'select' })
  sex.input.append(h('option', { value: '', t: 'hand.choose' }), h('option', { value: 'M', t: 'hand.male' }), h('option', { value: 'F', t: 'hand.female' }))
  const born = field({ id: 'hand-birth-date', label: 'hand.birthDate', testid: 'hand-birth-date', type: 'date' })
  const nationality = field({ id: 'hand-nationality', label: 'hand.nationality', testid: 'hand-nationality', maxlength: '3', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'hand-nationality-hint' })
  const status = statusLine('hand-status')
  const submit = h('button', { type: 'submit', class: 'button button--secondary', t: 'hand.add', testid: 'hand-add' })
  const form = h('form', { class: 'form', testid: 'hand-form', novalidate: true },
    name.row, type.row, number.row, sex.row, born.row, nationality.row,
    h('p', { class: 'hint', id: 'hand-nationality-hint', t: 'hand.nationalityHint' }),
    status, h('div', { class: 'actions' }, submit))
  const details = h('details', { class: 'hand-entry', testid: 'hand-entry' }, h('summary', { t: 'hand.title' }), form)

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    born.input.max = cityToday()
    const record = {
      name: name.input.value.trim(),
      document_type: type.input.value,
      document_number: number.input.value.trim().toUpperCase(),
      sex: sex.input.value,
      birth_date: born.input.value,
      nationality: nationality.input.value.trim().toUpperCase()
    }
    const missing = [[name, record.name], [number, record.document_number], [sex, record.sex], [born, record.birth_date], [nationality, record.nationality]]
      .filter(([, value]) => !value)
    for (const f of [name, number, sex, born, nationality]) f.input.removeAttribute('aria-invalid')
    if (missing.length) return invalid(missing[0][0], 'guest_fields_missing')
    if (!/^[A-Z]{3}$/.test(record.nationality)) return invalid(nationality, 'nationality_invalid')
    if (record.birth_date > cityToday()) return invalid(born, 'birth_date_future')
    if (!onAdd(record)) return
    form.reset()
    showStatus(status, 'hand.added', { name: record.name })
    name.input.focus()
  })
  function invalid (f, code) {
    f.input.setAttribute('aria-invalid', 'true')
    f.input.focus()
    showError(status, { code })
  }
  return { details }
}
