// A hospital's registration kiosk (a terminal of the medical scene): the
// clerk chooses one of today's open slots (time, department, clinician),
// then the citizen's code books it: POST /v1/medical/registrations
// {qr, slot_id} verifies the code itself (one use) and answers the
// appointment, never the citizen's name. A refusal for the slot (full, not
// open) leaves the code unused.
import { h, field, statusLine } from '../../lib/dom.js'
import { cityToday, formatFen, formatTime, onLangChange, t } from '../../lib/i18n.js'
import { clearStatus, showError } from '../../lib/errors.js'
import { slotFacts } from '../../lib/medical_slot.js'
import { refusalReason } from '../verdict.js'

export const medicalKioskStep = {
  id: 'medical-kiosk',
  matches: (terminal) => terminal.scene === 'medical',
  action: { label: 'medical.register', testid: 'register-appointment' },
  mount (container, ctx) {
    const slotSlot = h('div', { testid: 'slot-area' })
    const status = statusLine('slots-status')
    const refresh = h('button', { type: 'button', class: 'button button--secondary', t: 'medical.refreshSlots', testid: 'slots-refresh' })
    const choose = h('section', { class: 'card', 'aria-labelledby': 'slots-title' },
      h('h2', { id: 'slots-title', t: 'medical.chooseSlot' }), slotSlot, status, h('div', { class: 'actions' }, refresh))
    const result = h('section', { class: 'card', testid: 'kiosk-appointment', 'aria-labelledby': 'kiosk-appointment-title', hidden: true })
    container.append(result)

    let select = null
    let slots = []
    let lastAppointment = null
    // The options' words and the appointment's times are in the page's language.
    const draw = () => {
      select = slotSelect(slots, select?.input.value)
      slotSlot.replaceChildren(slots.length ? select.row : h('p', { class: 'hint', testid: 'slots-empty', t: 'medical.noSlots' }))
      if (lastAppointment) {
        result.replaceChildren(h('h2', { id: 'kiosk-appointment-title', t: 'medical.appointmentTitle' }), slotFacts(lastAppointment.slot))
      }
    }
    const stopLang = onLangChange(draw)
    const load = async () => {
      refresh.disabled = true
      try {
        const day = cityToday()
        slots = (await ctx.api.get(`/v1/medical/slots?org_id=${encodeURIComponent(ctx.terminal.org_id)}&day=${encodeURIComponent(day)}`)).slots
        draw()
        clearStatus(status)
      } catch (error) {
        showError(status, error)
      } finally {
        refresh.disabled = false
      }
    }
    refresh.addEventListener('click', load)
    load()

    return {
      beforeScan: choose,
      async onCode (qr) {
        const slotId = select?.input.value
        if (!slotId) {
          ctx.verdict.show('refused', 'slot_missing')
          return
        }
        ctx.verdict.show('busy')
        try {
          const appointment = await ctx.api.post('/v1/medical/registrations', { qr, slot_id: slotId })
          ctx.verdict.show('valid', 'valid', 'medical.registered')
          lastAppointment = appointment
          result.dataset.appointmentId = appointment.id
          result.dataset.state = appointment.state
          result.dataset.slotId = appointment.slot.id
          result.hidden = false
          draw()
        } catch (error) {
          lastAppointment = null
          result.hidden = true
          ctx.verdict.show('refused', refusalReason(error))
        }
        load()
      },
      stop: stopLang
    }
  }
}

// Today's open slots, by time: "08:00 · 内科 · 张医生 主任医师 · ¥10.00 · 5 left";
// a full slot is listed but cannot be chosen.
function slotSelect (slots, keep) {
  const select = field({ id: 'medical-slot', label: 'medical.slot', testid: 'medical-slot', type: 'select' })
  select.input.append(...slots.map((s) => h('option', { value: s.id, disabled: s.remaining <= 0, dataset: { remaining: String(s.remaining) } },
    [formatTime(s.starts_at), s.department?.name, [s.clinician?.name, s.clinician?.title].filter(Boolean).join(' '),
      formatFen(s.fee_fen ?? 0), s.remaining > 0 ? t('medical.left', { n: s.remaining }) : t('medical.full')].filter(Boolean).join(' · '))))
  const usable = slots.filter((s) => s.remaining > 0)
  if (keep && usable.some((s) => s.id === keep)) select.input.value = keep
  else if (usable.length) select.input.value = usable[0].id
  return select
}
