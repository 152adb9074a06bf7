// A hall kiosk (a gov terminal that is no window): scan the code to take a
// queue number (扫码取号). The ticket call verifies the code itself, so the
// scanned text goes straight to POST /v1/gov/tickets (a code is one use).
import { h, field, setText } from '../../lib/dom.js'
import { refusalReason } from '../verdict.js'
import { hallRole, hallServiceItems } from './hall.js'

export const govKioskStep = {
  id: 'gov-kiosk',
  matches: (terminal) => hallRole(terminal) === 'kiosk',
  action: { label: 'kiosk.take', testid: 'take-ticket' },
  mount (container, ctx) {
    const itemSlot = h('div')
    const number = h('p', { class: 'ticket__number', testid: 'ticket-number' })
    const item = h('p', { class: 'ticket__item', testid: 'ticket-item' })
    const waiting = h('p', { testid: 'ticket-waiting' })
    const ticket = h('section', { class: 'card ticket', testid: 'ticket', 'aria-labelledby': 'ticket-title', hidden: true },
      h('h2', { id: 'ticket-title', t: 'kiosk.ticketTitle' }), number, item, waiting)
    const choose = h('section', { class: 'card', 'aria-labelledby': 'items-title' },
      h('h2', { id: 'items-title', t: 'kiosk.chooseItem' }), itemSlot)
    container.append(ticket)
    let pickItem = () => ''
    hallServiceItems(ctx).then((items) => { pickItem = renderItems(itemSlot, items) })
    return {
      beforeScan: choose,
      async onCode (qr) {
        const serviceItem = pickItem()
        if (!serviceItem) {
          ctx.verdict.show('refused', 'service_item_missing')
          return
        }
        ctx.verdict.show('busy')
        try {
          const answer = await ctx.api.post('/v1/gov/tickets', { qr, service_item: serviceItem })
          ctx.verdict.show('valid', 'valid', 'kiosk.taken')
          ticket.hidden = false
          number.textContent = answer.number
          ticket.dataset.ticketId = answer.id
          item.textContent = answer.service_item?.name ?? ''
          setText(waiting, 'kiosk.waitingBefore', { n: answer.waiting_before ?? 0 })
        } catch (error) {
          ticket.hidden = true
          ctx.verdict.show('refused', refusalReason(error))
        }
      }
    }
  }
}

// A select of the hall's items, or a field for an item id; returns a getter.
function renderItems (slot, items) {
  if (items.length) {
    const select = field({ id: 'service-item', label: 'kiosk.item', testid: 'service-item', type: 'select' })
    select.input.append(...items.map((i) => h('option', { value: i.id }, i.name)))
    slot.replaceChildren(select.row)
    return () => select.input.value
  }
  const input = field({ id: 'service-item', label: 'kiosk.itemId', testid: 'service-item', autocomplete: 'off' })
  slot.replaceChildren(input.row, h('p', { class: 'hint', t: 'kiosk.itemIdHint' }))
  return () => input.input.value.trim()
}
