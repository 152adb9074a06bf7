// A hall window: the queue, call the next ticket, open the case with a fresh
// code (亮码办事: POST /v1/gov/cases verifies the code itself and fetches the
// item's certificates, 免证办事), then complete it or reject it with a reason.
import { h, field, setText, statusLine } from '../../lib/dom.js'
import { formatTime, has } from '../../lib/i18n.js'
import { showError, showStatus } from '../../lib/errors.js'
import { fieldLabel, typeName, loadCertificateTypes } from '../../lib/certificate_types.js'
import { refusalReason } from '../verdict.js'
import { hallRole } from './hall.js'

const QUEUE_REFRESH_MS = 10000

export const govWindowStep = {
  id: 'gov-window',
  matches: (terminal) => hallRole(terminal) === 'window',
  action: { label: 'window.openCase', testid: 'open-case' },
  mount (container, ctx) {
    const queue = queueCard(ctx)
    const caseSlot = h('div', { testid: 'case-slot' })
    container.append(queue.card, caseSlot)
    loadCertificateTypes(ctx.api).catch(() => null)
    return {
      async onCode (qr) {
        ctx.verdict.show('busy')
        const body = { qr }
        if (queue.current()) body.ticket_id = queue.current().id
        try {
          const opened = await ctx.api.post('/v1/gov/cases', body)
          ctx.verdict.show('valid', 'valid', 'window.caseOpened')
          caseSlot.replaceChildren(caseCard(ctx, opened, () => { queue.clearCurrent(); queue.refresh() }))
        } catch (error) {
          ctx.verdict.show('refused', refusalReason(error))
        }
      },
      stop: queue.stop
    }
  }
}

function ticketLabel (ticket) {
  return `${ticket.number} · ${ticket.service_item?.name ?? ''}`
}

function queueCard (ctx) {
  let current = null
  const waiting = h('ul', { class: 'queue', testid: 'queue-waiting' })
  const count = h('p', { testid: 'queue-count' })
  const now = h('p', { class: 'ticket__number', testid: 'current-ticket' })
  const nowItem = h('p', { testid: 'current-ticket-item' })
  const status = statusLine('queue-status')
  const callNext = h('button', { type: 'button', class: 'button button--primary button--big', t: 'window.callNext', testid: 'call-next' })
  const refreshButton = h('button', { type: 'button', class: 'button button--secondary', t: 'window.refresh', testid: 'queue-refresh' })

  async function refresh () {
    try {
      const q = await ctx.api.get('/v1/gov/queue')
      waiting.replaceChildren(...q.waiting.map((ticket) => h('li', { dataset: { ticketId: ticket.id } }, ticket.number)))
      setText(count, 'window.waiting', { n: q.waiting.length })
    } catch (error) {
      showError(status, error)
    }
  }

  function showCurrent () {
    now.textContent = current ? current.number : '—'
    now.dataset.ticketId = current?.id ?? ''
    if (current) nowItem.textContent = current.service_item?.name ?? ''
    else setText(nowItem, 'window.noTicket')
  }

  callNext.addEventListener('click', async () => {
    callNext.disabled = true
    try {
      const { ticket } = await ctx.api.post('/v1/gov/call')
      current = ticket
      showCurrent()
      if (ticket) showStatus(status, 'window.called', { ticket: ticketLabel(ticket) })
      else showStatus(status, 'window.nobodyWaiting')
      await refresh()
    } catch (error) {
      showError(status, error)
    } finally {
      callNext.disabled = false
    }
  })
  refreshButton.addEventListener('click', refresh)
  const timer = setInterval(refresh, QUEUE_REFRESH_MS)
  showCurrent()
  refresh()
  const card = h('section', { class: 'card', 'aria-labelledby': 'queue-title' },
    h('h2', { id: 'queue-title', t: 'window.queueTitle' }),
    h('h3', { t: 'window.nowServing' }), now, nowItem,
    h('div', { class: 'actions' }, callNext, refreshButton), status,
    h('h3', { t: 'window.waitingTitle' }), count, waiting)
  return {
    card,
    refresh,
    current: () => current,
    clearCurrent: () => { current = null; showCurrent() },
    stop: () => clearInterval(timer)
  }
}

function caseCard (ctx, opened, onClosed) {
  const state = h('p', { class: 'badge badge--ok', testid: 'case-state', t: `caseState.${opened.state}` })
  const status = statusLine('case-status')
  const reason = field({ id: 'reject-reason', label: 'window.rejectReason', testid: 'reject-reason', maxlength: '200' })
  const complete = h('button', { type: 'button', class: 'button button--primary', t: 'window.complete', testid: 'complete-case' })
  const reject = h('button', { type: 'button', class: 'button button--danger', t: 'window.reject', testid: 'reject-case' })
  const controls = h('div', { class: 'case-controls' }, h('div', { class: 'actions' }, complete), reason.row, h('div', { class: 'actions' }, reject))
  const card = h('section', { class: 'card', testid: 'case', 'aria-labelledby': 'case-title', dataset: { caseId: opened.id, state: opened.state } },
    h('h2', { id: 'case-title', t: 'window.caseTitle' }),
    h('p', {}, h('strong', {}, opened.service_item?.name ?? ''), opened.ticket ? ` · ${opened.ticket.number}` : ''),
    state,
    h('p', { class: 'hint' }, h('span', { t: 'window.openedAt' }), ' ', formatTime(opened.opened_at)),
    h('h3', { t: 'window.served' }), servedList(opened),
    h('h3', { t: 'window.missing' }), missingList(opened),
    controls, status)

  const close = async (path, body, okKey) => {
    complete.disabled = reject.disabled = true
    try {
      const closed = await ctx.api.post(`/v1/gov/cases/${encodeURIComponent(opened.id)}/${path}`, body)
      card.dataset.state = closed.state
      setText(state, `caseState.${closed.state}`)
      showStatus(status, okKey)
      controls.hidden = true
      onClosed()
    } catch (error) {
      showError(status, error)
      complete.disabled = reject.disabled = false
    }
  }
  complete.addEventListener('click', () => close('complete', {}, 'window.completed'))
  reject.addEventListener('click', () => {
    const text = reason.input.value.trim()
    if (!text) {
      reason.input.setAttribute('aria-invalid', 'true')
      reason.input.focus()
      return showError(status, { code: 'reject_reason_missing' })
    }
    close('reject', { reason: text }, 'window.rejected')
  })
  return card
}

// The fetched certificates, with their faces (the clerk needs them to act).
function servedList (opened) {
  if (!opened.served.length) return h('p', { class: 'hint', t: 'window.noneServed' })
  const byIdentifier = new Map((opened.certificates ?? []).map((c) => [c.identifier, c]))
  return h('ul', { class: 'cert-list', testid: 'case-served' }, opened.served.map((s) => {
    const certificate = byIdentifier.get(s.identifier)
    const ok = s.signature_valid && s.in_validity
    return h('li', { dataset: { type: s.type_key ?? s.type_code } },
      h('strong', {}, typeName(s.type_code, s.type_name)), ' ',
      h('span', { class: `badge ${ok ? 'badge--ok' : 'badge--error'}`, t: ok ? 'window.checked' : 'window.checkFailed' }),
      certificate ? faceFacts(certificate) : null,
      h('p', { class: 'mono' }, s.identifier))
  }))
}

function faceFacts (c) {
  const rows = [['window.holder', c.holder_name], ['window.validUntil', c.valid_until || '—']]
  for (const [key, value] of Object.entries(c.fields ?? {})) rows.push([null, value, fieldLabel(c.type_code, key)])
  return h('dl', { class: 'facts' }, rows.flatMap(([label, value, raw]) =>
    [label ? h('dt', { t: label }) : h('dt', {}, raw), h('dd', {}, String(value ?? ''))]))
}

function missingList (opened) {
  if (!opened.missing.length) return h('p', { class: 'hint', testid: 'case-missing-none', t: 'window.noneMissing' })
  return h('ul', { class: 'cert-list cert-list--missing', testid: 'case-missing' }, opened.missing.map((m) =>
    h('li', { dataset: { type: m.type_key ?? m.type_code, reason: m.reason } },
      h('strong', {}, typeName(m.type_code, m.type_name)), ' — ',
      h('span', { t: has(`missing.${m.reason}`) ? `missing.${m.reason}` : 'missing.other' }))))
}
