// The dashboard's building blocks: a section whose body is rebuilt only when
// its figures change (so a table a keyboard user scrolls is not replaced
// every 3 s), data tables, figure tiles and number formats.
import { h } from '../lib/dom.js'
import { currentLang, has } from '../lib/i18n.js'

// A card with a title; update(data, render) replaces the body when `data`
// differs from the last shown (or after relabel(): a language switch
// re-formats numbers and times).
export function section ({ id, title, testid, lead }) {
  const body = h('div', { class: 'ops-section__body' })
  const element = h('section', { class: 'card ops-section', 'aria-labelledby': `${id}-title`, testid },
    h('h3', { id: `${id}-title`, t: title }), lead ? h('p', { class: 'hint', t: lead }) : null, body)
  let shown = null
  return {
    element,
    update (data, render) {
      const key = JSON.stringify(data ?? null)
      if (key === shown) return
      shown = key
      // What the reader had open or focused stays so after the rebuild.
      const open = [...body.querySelectorAll('details[open][id]')].map((d) => d.id)
      const focused = body.contains(document.activeElement) ? document.activeElement.id : null
      body.replaceChildren(...[render(data)].flat(Infinity).filter(Boolean))
      for (const id of open) body.querySelector(`#${CSS.escape(id)}`)?.setAttribute('open', '')
      if (focused) body.querySelector(`#${CSS.escape(focused)}`)?.focus({ preventScroll: true })
    },
    relabel () { shown = null }
  }
}

// A table: caption (i18n key), column heads ({t, num}), rows of cells
// ({text | t | node, num, testid, header}); a wide one (many columns) keeps
// its width on a phone. The wrapper scrolls sideways on
// a phone and can then be focused (and scrolled) from the keyboard.
export function dataTable ({ id, caption, columns, rows, testid, wide = false }) {
  const captionId = `${id}-caption`
  const row = (cells, tag = 'td') => h('tr', {}, cells.map((cell) => cellOf(cell, tag)))
  const table = h('table', { class: `data-table${wide ? ' data-table--wide' : ''}`, testid },
    h('caption', { id: captionId, t: caption }),
    h('thead', {}, h('tr', {}, columns.map((col) => h('th', { scope: 'col', class: col.num ? 'num' : null, t: col.t })))),
    h('tbody', {}, rows.map((cells) => Array.isArray(cells) ? row(cells) : cells)))
  return h('div', { class: 'table-wrap', id: `${id}-wrap`, role: 'region', tabindex: '0', 'aria-labelledby': captionId }, table)
}

function cellOf (cell, tag) {
  const header = cell.header
  const props = {
    class: cell.num ? 'num' : null,
    testid: cell.testid,
    dataset: cell.dataset,
    scope: header ? 'row' : null
  }
  if (cell.t) return h(header ? 'th' : tag, { ...props, t: cell.t, tParams: cell.tParams })
  return h(header ? 'th' : tag, props, cell.node ?? cell.text ?? '')
}

// A row built by hand (data-* on the row itself).
export function tableRow (props, cells) {
  return h('tr', props, cells.map((cell) => cellOf(cell, 'td')))
}

// Figures as tiles: [{label, value, testid, bad, sub}].
export function tiles (items, testid) {
  return h('ul', { class: 'tiles', testid }, items.map((item) =>
    h('li', { class: 'tile', testid: item.testid, dataset: { value: String(item.value) } },
      h('p', { class: 'tile__label', t: item.label }),
      h('p', { class: `tile__value${item.bad && item.value > 0 ? ' tile__value--bad' : ''}`, testid: item.testid ? `${item.testid}-value` : null }, formatCount(item.value)),
      item.sub ? h('p', { class: 'tile__sub', t: item.sub.t, tParams: item.sub.params }) : null)))
}

export function formatCount (n) {
  return new Intl.NumberFormat(currentLang()).format(n ?? 0)
}

// A scene's name in words (an unknown one as sent).
export function sceneKey (scene) {
  return has(`scene.${scene}`) ? `scene.${scene}` : null
}

export function sceneCell (scene, extra = {}) {
  const key = sceneKey(scene)
  return key ? { t: key, ...extra } : { text: scene, ...extra }
}

// A verifier's reason in words, as the counter page says it.
export function reasonKey (reason) {
  if (has(`reason.${reason}`)) return `reason.${reason}`
  if (has(`error.${reason}`)) return `error.${reason}`
  return null
}

// A <details> whose open state and focus survive a rebuild (by its id).
export function disclosure (id, summaryKey, ...content) {
  return h('details', { class: 'ops-details', id, testid: id }, h('summary', { id: `${id}-summary`, testid: `${id}-summary`, t: summaryKey }), ...content)
}
