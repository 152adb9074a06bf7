// Verifications per hour as a uPlot line chart: one line per scene (valid
// and refused together) and a dashed one for the refusals of all scenes.
// The chart is a picture (role img); its numbers are in the tables beside
// it. uPlot sets element styles from script, which the CSP allows (no
// inline style attribute or sheet is written).
import uPlot from 'uplot'
import { h } from '../lib/dom.js'
import { CITY_TIME_ZONE, currentLang, has, t } from '../lib/i18n.js'

const HEIGHT = 240
const COLORS = { gov: '#0b4f8a', transit: '#0f6b2f', medical: '#7a2e8c', hotel: '#8a5a00', access: '#1f6f78' }
const OTHER = '#47505a'
const REFUSED = '#b3261e'

export function verificationChart () {
  const plot = h('div', { class: 'chart', role: 'img', testid: 'verifications-chart', tAttrs: { 'aria-label': 'ops.chart.label' } })
  const legend = h('ul', { class: 'chart-legend', testid: 'chart-legend' })
  const element = h('figure', { class: 'chart-figure' }, plot, legend,
    h('figcaption', { class: 'hint', t: 'ops.chart.caption' }))
  let chart = null
  let shape = '' // the scenes and hours the chart was made for
  const observer = new ResizeObserver(() => chart?.setSize({ width: plot.clientWidth, height: HEIGHT }))
  observer.observe(plot)

  // series: {since, hours, scenes: [name], byScene: {scene: [count per hour]}, refused: [per hour]}
  function show (series, force = false) {
    const xs = Array.from({ length: series.hours }, (_, i) => Date.parse(series.since) / 1000 + i * 3600)
    const data = [xs, ...series.scenes.map((scene) => series.byScene[scene]), series.refused]
    const nextShape = JSON.stringify([series.scenes, series.hours, currentLang()])
    if (chart && nextShape === shape && !force) return chart.setData(data)
    chart?.destroy()
    shape = nextShape
    chart = new uPlot(options(series), data, plot)
    legend.replaceChildren(...series.scenes.map((scene) => legendItem(`scene-${COLORS[scene] ? scene : 'other'}`, sceneLabel(scene))),
      legendItem('scene-refused', t('ops.chart.refused'), true))
  }

  function options (series) {
    const long = series.hours > 24
    return {
      width: Math.max(plot.clientWidth, 280),
      height: HEIGHT,
      legend: { show: false },
      // Splits on the city's hours, whatever the device's time zone.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), CITY_TIME_ZONE),
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
      axes: [
        { values: (u, splits) => splits.map((s) => hourLabel(s, long)), stroke: '#47505a', grid: { stroke: '#e3e8ee' } },
        { values: (u, splits) => splits.map((s) => (Number.isInteger(s) ? String(s) : '')), stroke: '#47505a', grid: { stroke: '#e3e8ee' } }
      ],
      series: [
        {},
        ...series.scenes.map((scene) => ({ label: sceneLabel(scene), stroke: COLORS[scene] ?? OTHER, width: 2, points: { show: series.hours <= 24 } })),
        { label: t('ops.chart.refused'), stroke: REFUSED, width: 2, dash: [6, 4], points: { show: false } }
      ]
    }
  }

  return { element, show, destroy: () => { observer.disconnect(); chart?.destroy() } }
}

function legendItem (colorClass, label, dashed = false) {
  return h('li', {}, h('span', { class: `swatch ${colorClass}${dashed ? ' swatch--dashed' : ''}`, 'aria-hidden': 'true' }), label)
}

function sceneLabel (scene) {
  return has(`scene.${scene}`) ? t(`scene.${scene}`) : scene
}

// An hour of the x axis in city time: 14:00, or 7/16 14:00 over days.
function hourLabel (seconds, long) {
  const options = long
    ? { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: CITY_TIME_ZONE }
    : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: CITY_TIME_ZONE }
  return new Intl.DateTimeFormat(currentLang(), options).format(new Date(seconds * 1000))
}
