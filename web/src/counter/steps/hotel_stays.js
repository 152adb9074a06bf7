// The front desk's stays and their reports: GET /v1/hotel/stays (the last
// two days, newest first; those in house listed first) with each report to
// the police in words — pending, delivered or dead, its attempts, the last
// error, overdue past the legal deadline — and GET /v1/hotel/feeds (each
// destination: not configured, disabled by a 410, its backlog). A stay in
// house can change room (POST …/room {room_id}), check out
// (POST …/check-out) or be cancelled as an entry in error (POST …/cancel
// {reason}), the last two asked twice.
import { h, confirmButton, field, statusLine } from '../../lib/dom.js'
import { formatDateTime, has, t } from '../../lib/i18n.js'
import { clearStatus, showError, showStatus } from '../../lib/errors.js'

// The guests' names, with what the desk may know besides: minor, and how
// each was identified.
export function guestList (guests) {
  return h('ul', { class: 'plain' }, guests.map((g) => h('li', { testid: 'stay-guest', dataset: { source: g.source, minor: String(g.minor) } },
    g.name, ' ',
    g.minor ? h('span', { class: 'chip chip--warn', t: 'hotel.minor' }) : null, ' ',
    g.source !== 'code' ? h('span', { class: 'chip chip--muted', t: `hotel.source.${g.source}` }) : null)))
}

// Reports change as the relay delivers them; the list is asked again this
// often, unless the clerk is working in it.
const REFRESH_MS = 60000

// freeRooms(): the rooms a stay can move to; onChanged(): after a change.
export function staysCard (ctx, { freeRooms, onChanged }) {
  let stays = []
  let feeds = []
  const feedList = h('ul', { class: 'plain feeds', testid: 'hotel-feeds' })
  const list = h('ul', { class: 'plain stays', testid: 'stays-list' })
  const status = statusLine('stays-status')
  const refresh = h('button', { type: 'button', class: 'button button--secondary', t: 'hotel.refreshStays', testid: 'stays-refresh' })
  const card = h('section', { class: 'card', testid: 'hotel-stays', 'aria-labelledby': 'stays-title' },
    h('h2', { id: 'stays-title', t: 'hotel.staysTitle' }),
    h('h3', { t: 'hotel.feedsTitle' }), feedList,
    h('div', { class: 'actions' }, refresh), status, list)

  // After a change: everything asked again, then what was done said.
  const changed = async (key, params) => {
    await onChanged()
    showStatus(status, key, params)
  }

  function draw () {
    feedList.replaceChildren(...feeds.map(feedRow))
    const ordered = [...stays.filter((s) => s.state === 'in_house'), ...stays.filter((s) => s.state !== 'in_house')]
    list.replaceChildren(...ordered.map((stay) => stayRow(ctx, stay, policeFeed(feeds), freeRooms(), changed)))
    if (!stays.length) list.append(h('li', { class: 'hint', testid: 'stays-empty', t: 'hotel.noStays' }))
  }

  async function load () {
    refresh.disabled = true
    try {
      const [staysAnswer, feedsAnswer] = await Promise.all([ctx.api.get('/v1/hotel/stays'), ctx.api.get('/v1/hotel/feeds')])
      stays = staysAnswer.stays ?? []
      feeds = feedsAnswer.feeds ?? []
      draw()
      clearStatus(status)
    } catch (error) {
      showError(status, error)
    } finally {
      refresh.disabled = false
    }
  }

  refresh.addEventListener('click', onChanged)
  // Not while the clerk is in the list (a room chosen, a check-out asked):
  // redrawing would take it away.
  const timer = setInterval(() => {
    if (!card.contains(document.activeElement) && !card.querySelector('.confirm__question')) load()
  }, REFRESH_MS)
  return { card, load, draw, stop: () => clearInterval(timer) }
}

// The stays' reports go to the police destination; a city may name it
// otherwise ([hotel] police_destination), then the first feed is it.
function policeFeed (feeds) {
  return feeds.find((f) => f.destination === 'police') ?? feeds[0] ?? null
}

// "公安旅馆业系统: 未配置 / 已停用 (410) / 待发 N · 失败 M / 正常".
function feedRow (feed) {
  const state = !feed.configured ? 'not_configured' : feed.disabled ? 'disabled' : feed.pending || feed.dead ? 'backlog' : 'ok'
  const badge = { not_configured: 'badge--muted', disabled: 'badge--error', backlog: feed.dead ? 'badge--error' : 'badge--warn', ok: 'badge--ok' }[state]
  return h('li', { testid: 'hotel-feed', dataset: { destination: feed.destination, state } },
    h('strong', {}, destinationName(feed.destination)), ': ',
    h('span', { class: `badge ${badge}`, t: `hotel.feed.${state}`, tParams: { pending: feed.pending, dead: feed.dead } }))
}

function destinationName (name) {
  return has(`hotel.destination.${name}`) ? t(`hotel.destination.${name}`) : name
}

function stayRow (ctx, stay, police, freeRooms, changed) {
  const inHouse = stay.state === 'in_house'
  const status = statusLine('stay-status')
  return h('li', { class: 'stay', testid: 'hotel-stay', dataset: { stayId: stay.id, state: stay.state, room: stay.room } },
    h('h3', { class: 'stay__title' }, h('span', { t: 'hotel.roomN', tParams: { room: stay.room }, testid: 'stay-room' }), ' ',
      h('span', { class: `badge ${inHouse ? 'badge--ok' : 'badge--muted'}`, testid: 'stay-state', t: `hotel.state.${stay.state}` })),
    h('p', { class: 'hint' }, h('span', { t: 'hotel.checkedInAt' }), ' ', formatDateTime(stay.checked_in_at),
      stay.ended_at ? [' · ', h('span', { t: 'hotel.endedAt' }), ' ', formatDateTime(stay.ended_at)] : null),
    guestList(stay.guests),
    h('h4', { class: 'stay__sub', t: 'hotel.reportsTitle' }), reportList(stay.reports, police),
    inHouse ? stayControls(ctx, stay, freeRooms, status, changed) : null,
    status)
}

// Each report: what, where, its state, attempts and last error, overdue.
// None: the feed is not configured (nothing is reported), or none yet.
function reportList (reports, police) {
  if (!reports.length) {
    const reason = police && !police.configured ? 'not_configured' : 'none'
    return h('p', { class: 'hint', testid: 'stay-reports-none', dataset: { reason }, t: `hotel.reports.${reason}` })
  }
  return h('ul', { class: 'plain reports' }, reports.map((r) => {
    const badge = r.state === 'delivered' ? 'badge--ok' : r.state === 'dead' ? 'badge--error' : 'badge--warn'
    return h('li', { class: 'report', testid: 'stay-report', dataset: { state: r.state, overdue: String(r.overdue), type: r.type } },
      h('span', { t: has(`hotel.report.${r.type}`) ? `hotel.report.${r.type}` : 'hotel.report.other' }), ' → ',
      destinationName(r.destination), ' ',
      h('span', { class: `badge ${badge}`, t: `hotel.reportState.${r.state}` }),
      r.attempts ? [' ', h('span', { class: 'hint', t: 'hotel.attempts', tParams: { n: r.attempts } })] : null,
      r.overdue ? [' ', h('span', { class: 'badge badge--error', testid: 'stay-report-overdue', t: 'hotel.overdue' })] : null,
      r.last_error ? h('p', { class: 'hint report__error' }, h('span', { t: 'hotel.lastError' }), ' ', h('span', { class: 'mono' }, r.last_error)) : null)
  }))
}

// Change room (a free room of the hotel) and check out (asked twice);
// changed(key, params) reloads the desk and says what was done.
function stayControls (ctx, stay, freeRooms, status, changed) {
  const id = `move-room-${stay.id}`
  const select = field({ id, label: 'hotel.moveTo', testid: 'stay-move-room', type: 'select' })
  select.input.append(...freeRooms.map((r) => h('option', { value: r.id }, r.number)))
  const move = h('button', { type: 'button', class: 'button button--secondary', t: 'hotel.move', testid: 'stay-move', disabled: !freeRooms.length })
  select.input.disabled = !freeRooms.length
  const path = `/v1/hotel/stays/${encodeURIComponent(stay.id)}`
  move.addEventListener('click', async () => {
    move.disabled = true
    try {
      const moved = await ctx.api.post(`${path}/room`, { room_id: select.input.value })
      await changed('hotel.moved', { room: moved.room })
    } catch (error) {
      showError(status, error)
      move.disabled = false
    }
  })
  const checkOut = confirmButton({
    label: 'hotel.checkOut',
    question: 'hotel.checkOutQuestion',
    confirmLabel: 'hotel.checkOutConfirm',
    testid: 'stay-check-out',
    action: async () => {
      try {
        await ctx.api.post(`${path}/check-out`)
        await changed('hotel.checkedOut', { room: stay.room })
      } catch (error) {
        showError(status, error)
      }
    }
  })
  return h('div', { class: 'stay__controls' },
    h('div', { class: 'form--inline stay__move' }, select.row, h('div', { class: 'actions' }, move)),
    checkOut, cancelEntry(ctx, stay, path, status, changed))
}

// An entry in error (the wrong guest, a test): cancelled with a reason,
// asked twice; the police get the cancellation.
function cancelEntry (ctx, stay, path, status, changed) {
  const reason = field({ id: `cancel-reason-${stay.id}`, label: 'hotel.cancelReason', testid: 'stay-cancel-reason', maxlength: '200', autocomplete: 'off' })
  const cancel = confirmButton({
    label: 'hotel.cancel',
    question: 'hotel.cancelQuestion',
    confirmLabel: 'hotel.cancelConfirm',
    testid: 'stay-cancel',
    action: async () => {
      const text = reason.input.value.trim()
      if (!text) {
        reason.input.setAttribute('aria-invalid', 'true')
        reason.input.focus()
        return showError(status, { code: 'cancel_reason_missing' })
      }
      try {
        await ctx.api.post(`${path}/cancel`, { reason: text })
        await changed('hotel.cancelled', { room: stay.room })
      } catch (error) {
        showError(status, error)
      }
    }
  })
  return h('details', { class: 'stay__cancel' }, h('summary', { t: 'hotel.cancelTitle' }), reason.row, cancel)
}
