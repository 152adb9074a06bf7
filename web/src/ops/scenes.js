// Each scene's own figures (the answer's `scenes`; a scene not opened on
// this server is absent and not shown). Transit: its operating days (trips,
// charges) and the last daily clearing per operator; the others a few
// counts each, in words. A figure the page has no words for is shown by
// its field name, so a newer server's figures are never hidden.
import { h } from '../lib/dom.js'
import { formatDateTime, formatDay, formatFen, has } from '../lib/i18n.js'
import { dataTable, formatCount, section, tableRow } from './parts.js'

const FIGURES = {
  gov: ['tickets', 'cases_opened', 'cases_done', 'cases_rejected'],
  medical: ['booked', 'cancelled', 'visits', 'dispensed'],
  hotel: ['check_ins', 'check_outs', 'in_house'],
  access: ['admitted', 'refused', 'bookings']
}

export function sceneSections () {
  const transit = section({ id: 'ops-transit', title: 'ops.transit.title', testid: 'ops-scene-transit' })
  const others = Object.keys(FIGURES).map((scene) =>
    [scene, section({ id: `ops-scene-${scene}`, title: `scene.${scene}`, testid: `ops-scene-${scene}` })])
  const grid = h('div', { class: 'ops-grid' }, others.map(([, s]) => s.element))
  const element = h('div', { class: 'ops-scenes' }, transit.element, grid)
  return {
    element,
    update (scenes) {
      transit.element.hidden = !scenes.transit
      if (scenes.transit) transit.update(scenes.transit, renderTransit)
      for (const [scene, s] of others) {
        s.element.hidden = !scenes[scene]
        if (scenes[scene]) s.update(scenes[scene], (figures) => renderFigures(scene, figures))
      }
    },
    relabel () {
      transit.relabel()
      for (const [, s] of others) s.relabel()
    }
  }
}

function renderFigures (scene, figures) {
  const keys = [...FIGURES[scene].filter((k) => k in figures), ...Object.keys(figures).filter((k) => !FIGURES[scene].includes(k))]
  return h('dl', { class: 'facts', testid: `scene-figures-${scene}` }, keys.flatMap((k) => [
    has(`ops.figure.${scene}.${k}`) ? h('dt', { t: `ops.figure.${scene}.${k}` }) : h('dt', {}, k),
    h('dd', { testid: `figure-${scene}-${k}`, dataset: { count: String(figures[k]) } }, typeof figures[k] === 'number' ? formatCount(figures[k]) : String(figures[k]))
  ]))
}

function renderTransit (tr) {
  const days = tr.operating_days ?? []
  const clearing = tr.last_clearing
  return [
    days.length
      ? dataTable({
        id: 'ops-transit-days',
        caption: 'ops.transit.days',
        testid: 'transit-days',
        columns: [{ t: 'ops.col.day' }, { t: 'ops.col.trips', num: true }, { t: 'ops.col.charged', num: true }],
        rows: days.map((d) => tableRow({ testid: 'transit-day', dataset: { day: d.operating_day } }, [
          { text: formatDay(d.operating_day), header: true },
          { text: formatCount(d.trips), num: true, testid: 'transit-day-trips', dataset: { count: String(d.trips) } },
          { text: formatFen(d.charged_fen), num: true, testid: 'transit-day-charged', dataset: { fen: String(d.charged_fen) } }
        ]))
      })
      : h('p', { class: 'empty', t: 'ops.transit.noDays' }),
    h('h4', { t: 'ops.transit.clearing' }),
    clearing ? renderClearing(clearing) : h('p', { class: 'empty', testid: 'transit-clearing-none', t: 'ops.transit.noClearing' })
  ]
}

// Amounts are in fen (currency_unit "fen"); shown in yuan.
function renderClearing (c) {
  const money = (fen) => ({ text: formatFen(fen), num: true, dataset: { fen: String(fen) } })
  return [
    h('dl', { class: 'facts', testid: 'transit-clearing', dataset: { day: c.operating_day, version: String(c.version) } },
      h('dt', { t: 'ops.transit.clearingDay' }), h('dd', {}, formatDay(c.operating_day)),
      h('dt', { t: 'ops.transit.clearingRun' }), h('dd', { t: 'ops.transit.clearingRunAt', tParams: { at: formatDateTime(c.run_at), version: c.version } }),
      h('dt', { t: 'ops.col.trips' }), h('dd', { testid: 'clearing-trips' }, formatCount(c.trips)),
      h('dt', { t: 'ops.transit.riderTotal' }), h('dd', { testid: 'clearing-rider-total' }, formatFen(c.rider_total)),
      h('dt', { t: 'ops.transit.settledTotal' }), h('dd', { testid: 'clearing-settled-total' }, formatFen(c.settled_total))),
    dataTable({
      id: 'ops-clearing-operators',
      caption: 'ops.transit.operators',
      testid: 'clearing-operators',
      wide: true,
      columns: ['operator', 'trips', 'base', 'charged', 'refunded', 'discount', 'settled', 'delta']
        .map((k, i) => ({ t: `ops.clearing.${k}`, num: i > 0 })),
      rows: (c.operators ?? []).map((op) => tableRow({ testid: 'clearing-operator', dataset: { agencyId: op.agency_id } }, [
        { text: op.agency_name || op.agency_id, header: true },
        { text: formatCount(op.trips), num: true },
        money(op.base_total), money(op.charged), money(op.refunded), money(op.discount), money(op.settled), money(op.delta)
      ]))
    })
  ]
}
