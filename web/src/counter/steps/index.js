// What the counter does after a code is read, per kind of terminal. The
// first step whose matches(terminal) is true runs. Later scenes (medical,
// hotel, access …) add their step here, above verifyOnly: a module exporting
// { id, matches(terminal), action: {label, testid}, mount(container, ctx) →
// { onCode(text), beforeScan? (an element chosen before scanning, shown
// above the reader), below? (an element shown under the counter, across
// both columns), stop?() } }, and their strings in i18n/*.js.
import { govWindowStep } from './gov_window.js'
import { govKioskStep } from './gov_kiosk.js'
import { transitGateStep } from './transit_gate.js'
import { verifyOnlyStep } from './verify_only.js'
import { medicalKioskStep } from './medical_kiosk.js'
import { hotelDeskStep } from './hotel_desk.js'

export const STEPS = [
  govWindowStep,
  govKioskStep,
  transitGateStep,
  medicalKioskStep,
  hotelDeskStep,
  // ↑ later scenes' steps go above this line
  verifyOnlyStep
]

export function stepFor (terminal) {
  return STEPS.find((step) => step.matches(terminal))
}
