// 大厅设置 (a service hall's setup, kind service_hall only): its service
// items (事项) and its windows (gov/gov_routes.cc).
//   Items: GET /v1/orgs/{org}/gov/service-items; a new one by POST …
//     {code ([a-z0-9-], 1-64), name (1-128 bytes), required_types (type
//     keys, up to 16)} → 201; a code the hall has is already_exists.
//   Windows: GET …/gov/windows; POST … {terminal_id, name (1-64 bytes),
//     service_items (ids; none = all)} → 200 makes an active terminal of
//     the hall a window at its site, or renames it and replaces its items.
//     A hall terminal that is not a window is a kiosk (取号机): it gives
//     tickets for every item.
import { h, field, statusLine } from '../lib/dom.js'
import { showError, showStatus } from '../lib/errors.js'
import { has, onLangChange, t } from '../lib/i18n.js'
import { loadCertificateTypes, typeName } from '../lib/certificate_types.js'
import { panel } from '../lib/panel.js'
import { loadSites, loadTerminals, nameProblem, orgPath, siteNames } from './org_api.js'
import { offerChoices, onSubmit } from './forms.js'

const ITEM_CODE = /^[a-z0-9-]{1,64}$/
const MAX_ITEM_TYPES = 16

export function renderHallView (main, ctx) {
  const items = panel('hall-items')
  const windows = panel('hall-windows')
  const itemForm = serviceItemForm(ctx, () => reload())
  const windowForm = hallWindowForm(ctx, () => reload())
  const reload = () => {
    const hall = loadHall(ctx)
    items.fill(() => hall, (data) => itemList(data.items), 'org.hall.itemsEmpty')
    windows.fill(async () => {
      const data = await hall
      windowForm.offer(data)
      return data
    }, windowList, 'org.hall.windowsEmpty')
  }
  main.append(h('h2', { t: 'org.hall.title' }), h('p', { class: 'lead', t: 'org.hall.lead' }),
    h('section', { class: 'org-section', 'aria-labelledby': 'hall-items-title' },
      h('h3', { id: 'hall-items-title', t: 'org.hall.items' }), items.body, itemForm),
    h('section', { class: 'org-section', 'aria-labelledby': 'hall-windows-title' },
      h('h3', { id: 'hall-windows-title', t: 'org.hall.windows' }), h('p', { class: 'hint', t: 'org.hall.windowsLead' }),
      windows.body, windowForm.element))
  reload()
  // The lists' joined names follow the language (the forms keep what is typed).
  return onLangChange(reload)
}

async function loadHall (ctx) {
  const [items, windows, sites, terminals] = await Promise.all([
    ctx.api.get(orgPath(ctx, 'gov', 'service-items')),
    ctx.api.get(orgPath(ctx, 'gov', 'windows')),
    loadSites(ctx),
    loadTerminals(ctx)])
  return { items: items.service_items ?? [], windows: windows.windows ?? [], sites: siteNames(sites), terminals }
}

function itemList (items) {
  if (!items.length) return null
  return h('ul', { class: 'cards' }, items.map((item) => h('li', { class: 'card item', testid: 'hall-item', dataset: { itemId: item.id, code: item.code } },
    h('h4', { class: 'item__title', testid: 'hall-item-name' }, item.name),
    h('dl', { class: 'facts' },
      h('dt', { t: 'org.hall.itemCode' }), h('dd', { class: 'mono', testid: 'hall-item-code' }, item.code),
      h('dt', { t: 'org.hall.itemTypes' }), item.required_types?.length
        ? h('dd', { testid: 'hall-item-types' }, item.required_types.map((type) => typeName(type.key || type.code, type.name)).join(t('org.listSeparator')))
        : h('dd', { testid: 'hall-item-types', t: 'org.hall.itemTypesNone' })))))
}

// The windows, then the hall's other active terminals: its kiosks.
function windowList ({ windows, sites, terminals, items }) {
  const itemNames = new Map(items.map((item) => [item.id, item.name]))
  const terminalsById = new Map(terminals.map((term) => [term.id, term]))
  const windowIds = new Set(windows.map((w) => w.terminal_id))
  const kiosks = terminals.filter((term) => term.active && !windowIds.has(term.id))
  if (!windows.length && !kiosks.length) return null
  return h('div', {},
    windows.length ? h('ul', { class: 'cards' }, windows.map((w) => h('li', { class: 'card item', testid: 'hall-window', dataset: { terminalId: w.terminal_id } },
      h('h4', { class: 'item__title', testid: 'hall-window-name' }, w.name),
      // The server keeps listing a window whose terminal was disabled.
      terminalsById.get(w.terminal_id)?.active === false
        ? h('span', { class: 'badge badge--muted', testid: 'hall-window-disabled', t: 'org.hall.windowDisabled' })
        : null,
      h('dl', { class: 'facts' },
        h('dt', { t: 'org.hall.windowSite' }), h('dd', { testid: 'hall-window-site' }, sites.get(w.site_id) ?? w.site_id),
        h('dt', { t: 'org.hall.windowTerminal' }), h('dd', { testid: 'hall-window-terminal' }, terminalsById.get(w.terminal_id)?.name ?? w.terminal_id),
        h('dt', { t: 'org.hall.windowItems' }), w.service_items?.length
          ? h('dd', { testid: 'hall-window-items' }, w.service_items.map((id) => itemNames.get(id) ?? id).join(t('org.listSeparator')))
          : h('dd', { testid: 'hall-window-items', t: 'org.hall.windowItemsAll' }))))) : null,
    kiosks.length
      ? h('p', { class: 'hint', testid: 'hall-kiosks' }, h('span', { t: 'org.hall.kiosks' }), ' ',
        kiosks.map((term) => `${sites.get(term.site_id) ?? term.site_id} · ${term.name}`).join(t('org.listSeparator')))
      : null)
}

function itemProblem (code, name, types) {
  if (!ITEM_CODE.test(code)) return 'org_item_code_invalid'
  const nameCode = nameProblem(name, 128, 'org_item_name_missing', 'org_item_name_long')
  if (nameCode) return nameCode
  return types.length > MAX_ITEM_TYPES ? 'org_item_types_many' : null
}

function serviceItemForm (ctx, onMade) {
  const code = field({ id: 'hall-item-code-input', label: 'org.hall.itemCode', testid: 'hall-item-code-input', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'hall-item-code-hint' })
  code.row.append(h('p', { class: 'hint', id: 'hall-item-code-hint', t: 'org.hall.itemCodeHint' }))
  const name = field({ id: 'hall-item-name-input', label: 'org.hall.itemName', testid: 'hall-item-name-input', autocomplete: 'off' })
  const types = h('div', { class: 'checks', testid: 'hall-item-types-choice' })
  const status = statusLine('hall-item-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'org.hall.itemCreate', testid: 'hall-item-submit' })
  const form = h('form', { class: 'card form', testid: 'hall-item-form', novalidate: true, 'aria-labelledby': 'hall-item-form-title' },
    h('h4', { id: 'hall-item-form-title', t: 'org.hall.itemCreateTitle' }), code.row, name.row,
    h('fieldset', { class: 'field' }, h('legend', { t: 'org.hall.itemTypes' }), types), status, h('div', { class: 'actions' }, submit))
  // The types a hall may ask for: the vault's registry without health records.
  loadCertificateTypes(ctx.api).then((registry) => {
    const kinds = [...new Set(registry.values())].filter((type) => !type.health)
    types.replaceChildren(...kinds.map((type) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: type.key, testid: `hall-item-type-${type.key}` }), ' ', has(`certType.${type.key}`) ? h('span', { t: `certType.${type.key}` }) : type.name)))
  }).catch((error) => showError(status, error))
  const values = () => ({ code: code.input.value.trim(), name: name.input.value.trim(), required_types: [...types.querySelectorAll('input:checked')].map((box) => box.value) })
  onSubmit({ form, status, submit }, {
    check: () => { const v = values(); return itemProblem(v.code, v.name, v.required_types) },
    scope: 'org.itemCreate',
    send: async () => {
      const item = await ctx.api.post(orgPath(ctx, 'gov', 'service-items'), values())
      form.reset()
      showStatus(status, 'org.hall.itemCreated', { name: item.name })
      onMade()
    }
  })
  return form
}

function hallWindowForm (ctx, onMade) {
  const terminal = field({ id: 'hall-window-terminal-select', label: 'org.hall.windowTerminal', testid: 'hall-window-terminal-select', type: 'select', 'aria-describedby': 'hall-window-terminal-hint' })
  terminal.row.append(h('p', { class: 'hint', id: 'hall-window-terminal-hint', t: 'org.hall.windowTerminalHint' }))
  const name = field({ id: 'hall-window-name-input', label: 'org.hall.windowName', testid: 'hall-window-name-input', autocomplete: 'off' })
  const items = h('div', { class: 'checks', testid: 'hall-window-items-choice' })
  const status = statusLine('hall-window-status')
  const submit = h('button', { type: 'submit', class: 'button button--primary', t: 'org.hall.windowCreate', testid: 'hall-window-submit' })
  const element = h('form', { class: 'card form', testid: 'hall-window-form', novalidate: true, 'aria-labelledby': 'hall-window-form-title' },
    h('h4', { id: 'hall-window-form-title', t: 'org.hall.windowCreateTitle' }), terminal.row, name.row,
    h('fieldset', { class: 'field' }, h('legend', { t: 'org.hall.windowItems' }), items, h('p', { class: 'hint', t: 'org.hall.windowItemsHint' })),
    status, h('div', { class: 'actions' }, submit))
  onSubmit({ form: element, status, submit }, {
    check: () => !terminal.input.value ? 'org_terminal_missing' : nameProblem(name.input.value.trim(), 64, 'org_window_name_missing', 'org_window_name_long'),
    scope: 'org.windowCreate',
    send: async () => {
      const chosen = [...items.querySelectorAll('input:checked')].map((box) => box.value)
      const made = await ctx.api.post(orgPath(ctx, 'gov', 'windows'), { terminal_id: terminal.input.value, name: name.input.value.trim(), service_items: chosen })
      element.reset()
      showStatus(status, 'org.hall.windowCreated', { name: made.name })
      onMade()
    }
  })
  // The hall's active terminals (site · name) and its items, kept chosen across reloads.
  const offer = ({ terminals, sites, items: hallItems }) => {
    offerChoices(terminal.input, 'org.hall.pickTerminal', terminals.filter((term) => term.active)
      .map((term) => ({ value: term.id, label: `${sites.get(term.site_id) ?? term.site_id} · ${term.name}` })))
    const ticked = new Set([...items.querySelectorAll('input:checked')].map((box) => box.value))
    items.replaceChildren(...hallItems.map((item) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: item.id, checked: ticked.has(item.id), testid: 'hall-window-item', dataset: { code: item.code } }), ' ', item.name)))
  }
  return { element, offer }
}
