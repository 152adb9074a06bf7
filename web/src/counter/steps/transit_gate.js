// A transit gate or validator: the verdict and the fare category the gate
// applies (rider_category from /v1/verify: adult, senior, student, disabled).
import { h, setText } from '../../lib/dom.js'
import { verifyCode } from './verify_only.js'

export const transitGateStep = {
  id: 'transit-gate',
  matches: (terminal) => terminal.scene === 'transit',
  action: { label: 'scan.verify', testid: 'verify-code' },
  mount (container, ctx) {
    const category = h('p', { class: 'fare-category', testid: 'fare-category' })
    const note = h('p', { class: 'hint', testid: 'fare-note' })
    const card = h('section', { class: 'card', 'aria-labelledby': 'fare-title', hidden: true },
      h('h2', { id: 'fare-title', t: 'transit.fareTitle' }), category, note)
    container.append(card)
    return {
      async onCode (code) {
        const result = await verifyCode(ctx, code)
        card.hidden = !result?.valid
        if (!result?.valid) return
        category.dataset.category = result.rider_category
        setText(category, `rider.${result.rider_category}`)
        if (result.held_by_guardian) setText(note, 'transit.heldByGuardian')
        else note.textContent = ''
      }
    }
  }
}
