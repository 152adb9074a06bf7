// The organisation page's tabs. Every organisation has its sites, terminals
// and staff; later scenes add their setup views here, keyed by the
// organisation's kind (GET /v1/org's `kind`): one entry each, { id, label
// (i18n key), render (main, ctx) → optional cleanup }, and their strings in
// i18n/zh-CN.js and i18n/en.js. The tab's button gets data-testid="tab-<id>".
import { renderSitesView } from './sites_view.js'
import { renderTerminalsView } from './terminals_view.js'
import { renderStaffView } from './staff_view.js'
import { renderHallView } from './hall_view.js'
import { renderMedicalView } from './medical_view.js'
import { renderSchedulesView } from './medical_schedules.js'
import { renderRolesView } from './medical_roles.js'
import { renderRevenueView } from './medical_revenue.js'
import { renderHotelView } from './hotel_view.js'
import { renderAccessView } from './access_view.js'
import { renderMembersView } from './access_members_view.js'
import { renderSlotsView } from './access_slots_view.js'
import { renderPassbacksView } from './access_passbacks_view.js'
import { renderTransitView } from './transit_view.js'

const COMMON_VIEWS = [
  { id: 'sites', label: 'org.tab.sites', render: renderSitesView },
  { id: 'terminals', label: 'org.tab.terminals', render: renderTerminalsView },
  { id: 'staff', label: 'org.tab.staff', render: renderStaffView }
]

const KIND_VIEWS = {
  service_hall: [{ id: 'hall', label: 'org.tab.hall', render: renderHallView }],
  hospital: [
    { id: 'medical', label: 'org.tab.medical', render: renderMedicalView },
    { id: 'schedules', label: 'org.tab.schedules', render: renderSchedulesView },
    { id: 'roles', label: 'org.tab.roles', render: renderRolesView },
    { id: 'revenue', label: 'org.tab.revenue', render: renderRevenueView }
  ],
  hotel: [{ id: 'hotel', label: 'org.tab.hotel', render: renderHotelView }],
  access_site: [
    { id: 'access', label: 'org.tab.access', render: renderAccessView },
    { id: 'members', label: 'org.tab.members', render: renderMembersView },
    { id: 'slots', label: 'org.tab.slots', render: renderSlotsView },
    { id: 'passbacks', label: 'org.tab.passbacks', render: renderPassbacksView }
  ],
  transit_operator: [{ id: 'transit', label: 'org.tab.transit', render: renderTransitView }]
  // ↑ a later scene's setup views go here, keyed by its organisation kind
}

export function viewsFor (kind) {
  return [...COMMON_VIEWS, ...(KIND_VIEWS[kind] ?? [])]
}
