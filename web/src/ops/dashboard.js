// The dashboard's sections, brought up to date from each answer of GET
// /v1/ops/dashboard: the figures at a glance, verifications per hour and
// scene (chart and tables), refusals by scene and reason, the vault and its
// audit log, terminals gone silent, the outbox, and each scene's figures
// (scenes.js). Only aggregates are shown: the API answers no person's data.
import { h } from '../lib/dom.js'
import { formatDateTime } from '../lib/i18n.js'
import { verificationChart } from './chart.js'
import { dataTable, disclosure, formatCount, reasonKey, sceneCell, section, tableRow, tiles } from './parts.js'
import { sceneSections } from './scenes.js'

// The order scenes are listed in (CC1 names); others follow as sent.
export const SCENES = ['gov', 'transit', 'medical', 'hotel', 'access']

export function createDashboard () {
  const summary = section({ id: 'ops-summary', title: 'ops.summary.title', testid: 'ops-summary' })
  const chart = verificationChart()
  const verifications = section({ id: 'ops-verifications', title: 'ops.verifications.title', testid: 'ops-verifications', lead: 'ops.verifications.lead' })
  const refusals = section({ id: 'ops-refusals', title: 'ops.refusals.title', testid: 'ops-refusals' })
  const vault = section({ id: 'ops-vault', title: 'ops.vault.title', testid: 'ops-vault', lead: 'ops.vault.lead' })
  const terminals = section({ id: 'ops-terminals', title: 'ops.terminals.title', testid: 'ops-terminals' })
  const outbox = section({ id: 'ops-outbox', title: 'ops.outbox.title', testid: 'ops-outbox', lead: 'ops.outbox.lead' })
  const scenes = sceneSections()
  const sections = [summary, verifications, refusals, vault, terminals, outbox]
  const chartSlot = h('div', { class: 'chart-slot' }, chart.element)
  verifications.element.insertBefore(chartSlot, verifications.element.lastChild)

  const element = h('div', { class: 'ops-dashboard', testid: 'ops-dashboard' },
    summary.element, verifications.element,
    h('div', { class: 'ops-grid ops-grid--three' }, refusals.element, vault.element, outbox.element),
    terminals.element,
    scenes.element)

  let last = null
  return {
    element,
    update (data) {
      last = data
      const series = hourSeries(data)
      chart.show(series)
      summary.update(summaryFigures(data), renderSummary)
      verifications.update({ series, byHour: data.verifications.by_hour }, renderVerifications)
      refusals.update(data.verifications.refusals, renderRefusals)
      vault.update(data.vault, renderVault)
      terminals.update(data.terminals, renderTerminals)
      outbox.update(data.outbox, renderOutbox)
      scenes.update(data.scenes ?? {})
    },
    // A language switch: numbers, times and the chart's labels again.
    relabel () {
      for (const s of sections) s.relabel()
      scenes.relabel()
      if (last) {
        chart.show(hourSeries(last), true)
        this.update(last)
      }
    }
  }
}

// The answer's by_hour cells (only non-zero ones) as a count per hour of the
// window for each scene seen, and the refusals of all scenes.
function hourSeries (data) {
  const hours = data.hours
  const start = Date.parse(data.since)
  const index = (hour) => Math.round((Date.parse(hour) - start) / 3600000)
  const seen = new Set(data.verifications.by_hour.map((cell) => cell.scene))
  const scenes = [...SCENES.filter((s) => seen.has(s)), ...[...seen].filter((s) => !SCENES.includes(s)).sort()]
  const byScene = Object.fromEntries(scenes.map((s) => [s, new Array(hours).fill(0)]))
  const refused = new Array(hours).fill(0)
  const totals = Object.fromEntries(scenes.map((s) => [s, { valid: 0, refused: 0 }]))
  for (const cell of data.verifications.by_hour) {
    const i = index(cell.hour)
    totals[cell.scene].valid += cell.valid
    totals[cell.scene].refused += cell.refused
    if (i < 0 || i >= hours) continue
    byScene[cell.scene][i] += cell.valid + cell.refused
    refused[i] += cell.refused
  }
  return { since: data.since, hours, scenes, byScene, refused, totals }
}

function summaryFigures (data) {
  return {
    valid: data.verifications.valid,
    refused: data.verifications.refused,
    fetches: data.vault.fetches,
    fetchRefused: data.vault.refused,
    active: data.terminals.active,
    silent: data.terminals.silent,
    pending: data.outbox.pending,
    dead: data.outbox.dead,
    hours: data.hours
  }
}

function renderSummary (f) {
  return tiles([
    { label: 'ops.summary.valid', value: f.valid, testid: 'total-valid' },
    { label: 'ops.summary.refused', value: f.refused, testid: 'total-refused', bad: true },
    { label: 'ops.summary.fetches', value: f.fetches, testid: 'total-fetches' },
    { label: 'ops.summary.fetchRefused', value: f.fetchRefused, testid: 'total-fetch-refused', bad: true },
    { label: 'ops.summary.active', value: f.active, testid: 'total-active' },
    { label: 'ops.summary.silent', value: f.silent, testid: 'total-silent', bad: true },
    { label: 'ops.summary.pending', value: f.pending, testid: 'total-pending' },
    { label: 'ops.summary.dead', value: f.dead, testid: 'total-dead', bad: true }
  ], 'summary-tiles')
}

function renderVerifications ({ series, byHour }) {
  const sceneRows = series.scenes.map((scene) => {
    const { valid, refused } = series.totals[scene]
    return tableRow({ testid: 'scene-row', dataset: { scene } }, [
      sceneCell(scene, { header: true }),
      { text: formatCount(valid), num: true, testid: 'scene-valid', dataset: { count: String(valid) } },
      { text: formatCount(refused), num: true, testid: 'scene-refused', dataset: { count: String(refused) } },
      { text: formatCount(valid + refused), num: true, testid: 'scene-total' }
    ])
  })
  const hourRows = byHour.map((cell) => tableRow({ testid: 'hour-row', dataset: { hour: cell.hour, scene: cell.scene } }, [
    { text: formatDateTime(cell.hour), header: true },
    sceneCell(cell.scene),
    { text: formatCount(cell.valid), num: true, testid: 'hour-valid' },
    { text: formatCount(cell.refused), num: true, testid: 'hour-refused' }
  ]))
  if (!sceneRows.length) return h('p', { class: 'empty', testid: 'verifications-empty', t: 'ops.verifications.empty' })
  return [
    dataTable({
      id: 'ops-by-scene',
      caption: 'ops.verifications.byScene',
      testid: 'verifications-by-scene',
      columns: [{ t: 'ops.col.scene' }, { t: 'ops.col.valid', num: true }, { t: 'ops.col.refused', num: true }, { t: 'ops.col.total', num: true }],
      rows: sceneRows
    }),
    disclosure('ops-by-hour-details', 'ops.verifications.byHourShow',
      dataTable({
        id: 'ops-by-hour',
        caption: 'ops.verifications.byHour',
        testid: 'verifications-by-hour',
        columns: [{ t: 'ops.col.hour' }, { t: 'ops.col.scene' }, { t: 'ops.col.valid', num: true }, { t: 'ops.col.refused', num: true }],
        rows: hourRows
      }))
  ]
}

function renderRefusals (refusals) {
  if (!refusals.length) return h('p', { class: 'empty', testid: 'refusals-empty', t: 'ops.refusals.empty' })
  return dataTable({
    id: 'ops-refusal-table',
    caption: 'ops.refusals.caption',
    testid: 'refusals',
    columns: [{ t: 'ops.col.scene' }, { t: 'ops.col.reason' }, { t: 'ops.col.count', num: true }],
    rows: refusals.map((r) => {
      const key = reasonKey(r.reason)
      return tableRow({ testid: 'refusal', dataset: { scene: r.scene, reason: r.reason } }, [
        sceneCell(r.scene, { testid: 'refusal-scene' }),
        key ? { t: key, testid: 'refusal-reason' } : { text: r.reason, testid: 'refusal-reason' },
        { text: formatCount(r.count), num: true, testid: 'refusal-count', dataset: { count: String(r.count) } }
      ])
    })
  })
}

function renderVault (v) {
  const head = v.audit?.head
  const checkpoint = v.audit?.checkpoint
  return [
    h('dl', { class: 'facts' },
      h('dt', { t: 'ops.vault.fetches' }), h('dd', { testid: 'vault-fetches', dataset: { count: String(v.fetches) } }, formatCount(v.fetches)),
      h('dt', { t: 'ops.vault.refused' }), h('dd', { testid: 'vault-refused', dataset: { count: String(v.refused) } }, formatCount(v.refused))),
    v.by_hour.length
      ? disclosure('ops-vault-hours-details', 'ops.vault.byHourShow', dataTable({
        id: 'ops-vault-hours',
        caption: 'ops.vault.byHour',
        testid: 'vault-by-hour',
        columns: [{ t: 'ops.col.hour' }, { t: 'ops.vault.fetches', num: true }, { t: 'ops.vault.refused', num: true }],
        rows: v.by_hour.map((cell) => tableRow({ testid: 'vault-hour', dataset: { hour: cell.hour } }, [
          { text: formatDateTime(cell.hour), header: true },
          { text: formatCount(cell.fetches), num: true },
          { text: formatCount(cell.refused), num: true }
        ]))
      }))
      : null,
    h('h4', { t: 'ops.audit.title' }),
    h('dl', { class: 'facts' },
      h('dt', { t: 'ops.audit.head' }),
      h('dd', {}, head
        ? [h('span', { testid: 'audit-head-seq', dataset: { seq: String(head.seq) } }, formatCount(head.seq)), ' · ',
            h('span', { class: 'hash', testid: 'audit-head-hash', title: head.hash, dataset: { hash: head.hash } }, shortHash(head.hash))]
        : '—'),
      h('dt', { t: 'ops.audit.checkpoint' }),
      checkpoint
        ? h('dd', { testid: 'audit-checkpoint', dataset: { seq: String(checkpoint.seq) } },
          h('span', { t: 'ops.audit.checkpointAt', tParams: { seq: formatCount(checkpoint.seq), at: formatDateTime(checkpoint.at) } }))
        : h('dd', { testid: 'audit-checkpoint-none', t: 'ops.audit.noCheckpoint' }))
  ]
}

// The first 12 hex digits: enough to compare with a checkpoint by eye.
function shortHash (hex) {
  return hex ? `${hex.slice(0, 12)}…` : ''
}

function renderTerminals (term) {
  const listed = term.silent_terminals.length
  return [
    h('dl', { class: 'facts' },
      h('dt', { t: 'ops.terminals.active' }), h('dd', { testid: 'terminals-active' }, formatCount(term.active)),
      h('dt', { t: 'ops.terminals.silent' }), h('dd', { testid: 'terminals-silent' }, formatCount(term.silent))),
    h('p', { class: 'hint', t: 'ops.terminals.silentHint', tParams: { minutes: term.silent_after_minutes } }),
    listed
      ? dataTable({
        id: 'ops-silent',
        caption: listed < term.silent ? 'ops.terminals.listedSome' : 'ops.terminals.listed',
        testid: 'silent-terminals',
        wide: true,
        columns: [{ t: 'ops.col.terminal' }, { t: 'ops.col.org' }, { t: 'ops.col.site' }, { t: 'ops.col.scene' }, { t: 'ops.col.lastSeen' }],
        rows: term.silent_terminals.map((st) => tableRow({ testid: 'silent-terminal', dataset: { terminalId: st.id, lastSeen: st.last_seen ?? '' } }, [
          { text: st.name, header: true, testid: 'silent-terminal-name' },
          { text: st.org_name, testid: 'silent-terminal-org' },
          { text: st.site_name, testid: 'silent-terminal-site' },
          sceneCell(st.scene),
          st.last_seen ? { text: formatDateTime(st.last_seen), testid: 'silent-terminal-seen' } : { t: 'ops.terminals.never', testid: 'silent-terminal-seen' }
        ]))
      })
      : h('p', { class: 'empty', testid: 'silent-terminals-empty', t: 'ops.terminals.noneSilent' }),
    listed < term.silent ? h('p', { class: 'hint', testid: 'silent-terminals-more', t: 'ops.terminals.more', tParams: { listed, total: term.silent } }) : null
  ]
}

function renderOutbox (o) {
  return [
    h('dl', { class: 'facts' },
      h('dt', { t: 'ops.outbox.pending' }), h('dd', { testid: 'outbox-pending' }, formatCount(o.pending)),
      h('dt', { t: 'ops.outbox.dead' }), h('dd', { testid: 'outbox-dead' }, formatCount(o.dead))),
    o.destinations.length
      ? dataTable({
        id: 'ops-destinations',
        caption: 'ops.outbox.destinations',
        testid: 'outbox-destinations',
        columns: [{ t: 'ops.col.destination' }, { t: 'ops.col.state' }, { t: 'ops.outbox.pending', num: true }, { t: 'ops.outbox.dead', num: true }],
        rows: o.destinations.map((d) => {
          const state = !d.configured ? 'not_configured' : d.disabled ? 'disabled' : d.dead ? 'dead' : d.pending ? 'backlog' : 'ok'
          return tableRow({ testid: 'outbox-destination', dataset: { destination: d.name, state } }, [
            { ...destinationName(d.name), header: true },
            { t: `ops.outbox.state.${state}` },
            { text: formatCount(d.pending), num: true, testid: 'destination-pending' },
            { text: formatCount(d.dead), num: true, testid: 'destination-dead' }
          ])
        })
      })
      : h('p', { class: 'empty', t: 'ops.outbox.none' })
  ]
}

// The hotel page names the two destinations it reports to.
function destinationName (name) {
  return ['police', 'tourism'].includes(name) ? { t: `hotel.destination.${name}` } : { text: name }
}
