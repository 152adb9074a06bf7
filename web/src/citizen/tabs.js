// The citizen page's tabs, in order. Later scenes (medical, hotel, access …)
// add their views here: one entry each, { id, label (i18n key), render
// (main, ctx, params) → optional cleanup, needsSession }, and their strings
// in i18n/zh-CN.js and i18n/en.js. The tab's button gets data-testid="tab-<id>".
import { renderCodeView } from './code_view.js'
import { renderCertificatesView } from './certificates_view.js'
import { renderConsentsView } from './consents_view.js'
import { renderHistoryView } from './history_view.js'
import { renderTripsView } from './trips_view.js'
import { renderDevicesView } from './devices_view.js'
import { renderAppointmentsView } from './appointments_view.js'
import { renderAccessView } from './access_view.js'

export const TABS = [
  { id: 'code', label: 'tab.code', render: renderCodeView, needsSession: false },
  { id: 'certificates', label: 'tab.certificates', render: renderCertificatesView, needsSession: true },
  { id: 'consents', label: 'tab.consents', render: renderConsentsView, needsSession: true },
  { id: 'history', label: 'tab.history', render: renderHistoryView, needsSession: true },
  { id: 'trips', label: 'tab.trips', render: renderTripsView, needsSession: true },
  { id: 'appointments', label: 'tab.appointments', render: renderAppointmentsView, needsSession: true },
  { id: 'access', label: 'tab.access', render: renderAccessView, needsSession: true },
  // ↑ later scenes' views go above this line
  { id: 'devices', label: 'tab.devices', render: renderDevicesView, needsSession: true }
]
