// The organisation page's tabs. Every organisation has its sites, terminals
// and staff; later scenes add their setup views here, keyed by the
// organisation's kind (GET /v1/org's `kind`): one entry each, { id, label
// (i18n key), render (main, ctx) → optional cleanup }, and their strings in
// i18n/zh-CN.js and i18n/en.js. The tab's button gets data-testid="tab-<id>".
import { renderSitesView } from './sites_view.js'
import { renderTerminalsView } from './terminals_view.js'
import { renderStaffView } from './staff_view.js'
import { renderHallView } from './hall_view.js'

const COMMON_VIEWS = [
  { id: 'sites', label: 'org.tab.sites', render: renderSitesView },
  { id: 'terminals', label: 'org.tab.terminals', render: renderTerminalsView },
  { id: 'staff', label: 'org.tab.staff', render: renderStaffView }
]

const KIND_VIEWS = {
  service_hall: [{ id: 'hall', label: 'org.tab.hall', render: renderHallView }]
  // ↑ later scenes' setup views go here (hospital, hotel, access_site …)
}

export function viewsFor (kind) {
  return [...COMMON_VIEWS, ...(KIND_VIEWS[kind] ?? [])]
}
