// The 挂号 tab's health records (健康档案) and bill (费用) of one person —
// the citizen or a dependant, `base` being their /v1/me/…/medical path.
// Records: GET {base}/records, the visit summaries (门诊病历) and lab results
// (检验报告) the hospitals issued, newest first. Health data is shown as text
// (textContent, never innerHTML) and kept only in the page's memory: it goes
// into no URL, no log and no storage. Bill: GET {base}/bill, the postings
// (挂号费, 退费, 药费) and the totals in yuan.
import { h } from '../lib/dom.js'
import { formatDateTime, formatDay, formatFen, has, t } from '../lib/i18n.js'
import { fieldLabel } from '../lib/certificate_types.js'
import { panel } from '../lib/panel.js'

export function recordsSection (ctx, base) {
  const list = panel('records')
  list.fill(() => ctx.api.get(`${base}/records`),
    ({ records }) => records.length ? h('ul', { class: 'cards' }, newestFirst(records).map(recordCard)) : null,
    'records.empty')
  return h('section', { class: 'medical-section', 'aria-labelledby': 'records-title', testid: 'records-section' },
    h('h3', { id: 'records-title', t: 'records.title' }), h('p', { class: 'hint', t: 'records.hint' }), list.body)
}

// The record's own date (the visit, the sample), else the day it was issued.
function recordDay (r) {
  return r.fields?.visit_date || r.fields?.collected_on || r.issue_date || ''
}

// Newest first by that date (YYYY-MM-DD sorts as text); the server's order
// breaks ties.
function newestFirst (records) {
  return records.map((r, i) => ({ r, i }))
    .sort((a, b) => recordDay(b.r).localeCompare(recordDay(a.r)) || a.i - b.i)
    .map(({ r }) => r)
}

function recordCard (r) {
  const title = has(`recordType.${r.type}`) ? t(`recordType.${r.type}`) : r.type_name ?? r.type
  const facts = r.type === 'visit_summary' ? visitFacts(r) : r.type === 'lab_result' ? labFacts(r) : otherFacts(r)
  return h('li', { class: 'card item record', testid: 'record', dataset: { type: r.type ?? '' } },
    h('h4', { class: 'item__title' }, title),
    r.status && r.status !== 'valid' ? statusBadge(r.status) : null,
    h('dl', { class: 'facts' },
      fact('records.hospital', 'record-hospital', r.issuer_name ?? ''),
      facts))
}

// A record no longer valid (withdrawn, revoked …) says so.
function statusBadge (status) {
  const key = `certStatus.${status}`
  return has(key)
    ? h('p', { class: 'badge badge--muted', testid: 'record-status', t: key })
    : h('p', { class: 'badge badge--muted', testid: 'record-status' }, status)
}

function fact (label, testid, text) {
  return [h('dt', { t: label }), h('dd', { testid }, text)]
}

// 门诊病历: date, department, clinician, and the summary with its line feeds
// (the stylesheet keeps them: .record__summary is white-space: pre-line).
function visitFacts (r) {
  const f = r.fields ?? {}
  return [
    fact('records.visitDate', 'record-date', formatDay(f.visit_date || r.issue_date)),
    fact('records.department', 'record-department', f.department ?? ''),
    fact('records.clinician', 'record-clinician', f.clinician ?? ''),
    h('dt', { t: 'records.summary' }),
    h('dd', { class: 'record__summary', testid: 'record-summary' }, f.summary ?? '')
  ]
}

// 检验报告: the test, the result with its unit, the reference range, the day
// the sample was taken.
function labFacts (r) {
  const f = r.fields ?? {}
  return [
    fact('records.test', 'record-test', f.test_name ?? ''),
    fact('records.result', 'record-result', [f.result, f.unit].filter(Boolean).join(' ')),
    f.reference_range ? fact('records.range', 'record-range', f.reference_range) : null,
    fact('records.collectedOn', 'record-date', formatDay(f.collected_on || r.issue_date))
  ]
}

// A health record of a type this page does not know: its fields as given.
function otherFacts (r) {
  return [
    fact('records.issued', 'record-date', formatDay(r.issue_date)),
    Object.entries(r.fields ?? {}).map(([key, value]) => [h('dt', {}, fieldLabel(r.type, key)), h('dd', {}, String(value))])
  ]
}

// The bill: the postings, newest first as the server gives them, and the
// totals. Returns the section and its reload (after a booking or a
// cancellation).
export function billSection (ctx, base) {
  const bill = panel('bill')
  const reload = () => bill.fill(() => ctx.api.get(`${base}/bill`), (answer) => billContent(answer), 'medicalBill.empty')
  reload()
  const section = h('section', { class: 'medical-section', 'aria-labelledby': 'bill-title', testid: 'bill-section' },
    h('h3', { id: 'bill-title', t: 'medicalBill.title' }), h('p', { class: 'hint', t: 'medicalBill.hint' }), bill.body)
  return { section, reload }
}

function billContent ({ postings = [], charged_fen: charged = 0, refunded_fen: refunded = 0, owed_fen: owed = 0 }) {
  if (!postings.length) return null
  return h('div', { class: 'card bill' },
    // A list rather than a table: a phone's width fits two lines a posting.
    h('ul', { class: 'plain postings' }, postings.map(postingRow)),
    h('dl', { class: 'facts bill__totals', testid: 'bill-totals' },
      total('medicalBill.charged', 'bill-charged', charged),
      total('medicalBill.refunded', 'bill-refunded', refunded),
      total('medicalBill.owed', 'bill-owed', owed)))
}

// "挂号费 ¥10.00" over "即墨区人民医院 · 2026年7月16日 05:30".
function postingRow (p) {
  const kind = has(`postingKind.${p.kind}`) ? t(`postingKind.${p.kind}`) : p.kind
  return h('li', {
    class: 'posting',
    testid: 'bill-posting',
    dataset: { kind: p.kind, fen: String(p.amount_fen ?? 0), appointmentId: p.appointment_id ?? '', prescriptionId: p.prescription_id ?? '' }
  },
  h('span', { class: 'posting__kind', testid: 'bill-posting-kind' }, kind),
  h('span', { class: 'posting__amount', testid: 'bill-posting-amount' }, formatFen(p.amount_fen ?? 0)),
  h('span', { class: 'posting__meta' },
    h('span', { testid: 'bill-posting-hospital' }, p.org_name ?? ''), ' · ',
    h('span', { testid: 'bill-posting-time' }, formatDateTime(p.posted_at))))
}

function total (label, testid, fen) {
  return [h('dt', { t: label }), h('dd', { testid, dataset: { fen: String(fen) } }, formatFen(fen))]
}
