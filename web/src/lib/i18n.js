// Every visible string goes through t(). zh-CN is the default; the choice of
// English is remembered in localStorage (it is not personal data).
import zh from '../i18n/zh-CN.js'
import en from '../i18n/en.js'
import { serverNowMs } from './clock.js'

const dictionaries = { 'zh-CN': zh, en }
const STORAGE_KEY = 'citycode.lang'
const listeners = new Set()
let lang = readStoredLang()

function readStoredLang () {
  try {
    const stored = globalThis.localStorage?.getItem(STORAGE_KEY)
    return stored in dictionaries ? stored : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export function currentLang () {
  return lang
}

// t('trips.amount', { amount: '¥2.00' }): {name} placeholders are filled in.
export function t (key, params) {
  const text = dictionaries[lang][key] ?? dictionaries['zh-CN'][key] ?? key
  if (!params) return text
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole))
}

export function has (key) {
  return key in dictionaries[lang] || key in dictionaries['zh-CN']
}

export function setLang (next) {
  if (!(next in dictionaries) || next === lang) return
  lang = next
  try { localStorage.setItem(STORAGE_KEY, next) } catch { /* private mode: not remembered */ }
  applyLang(document)
  for (const listener of listeners) listener(lang)
}

export function onLangChange (listener) {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

// Re-translates every element that carries its key (dom.js h({t}) and tAttrs).
export function applyLang (root) {
  document.documentElement.lang = lang
  const title = document.querySelector('title[data-i18n]')
  if (title) document.title = t(title.dataset.i18n)
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const params = el.dataset.i18nParams ? JSON.parse(el.dataset.i18nParams) : undefined
    el.textContent = t(el.dataset.i18n, params)
  }
  for (const el of root.querySelectorAll('[data-i18n-attrs]')) {
    for (const [attr, key] of Object.entries(JSON.parse(el.dataset.i18nAttrs))) el.setAttribute(attr, t(key))
  }
}

// Money is integer fen; dates and times are shown in the city's time zone.
export const CITY_TIME_ZONE = 'Asia/Shanghai'

export function formatFen (fen) {
  return new Intl.NumberFormat(lang, { style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol' }).format(fen / 100)
}

export function formatDateTime (iso) {
  if (!iso) return ''
  return new Intl.DateTimeFormat(lang, {
    dateStyle: 'medium', timeStyle: 'short', timeZone: CITY_TIME_ZONE
  }).format(new Date(iso))
}

// A calendar day (YYYY-MM-DD, as records and bills give it): the day itself,
// so no time zone moves it.
export function formatDay (day) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day ?? '')) return day ?? ''
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`))
}

export function formatTime (iso) {
  return new Intl.DateTimeFormat(lang, { timeStyle: 'short', timeZone: CITY_TIME_ZONE }).format(new Date(iso))
}

// Today's date in the city by the server's clock, YYYY-MM-DD.
export function cityToday (now = new Date(serverNowMs())) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: CITY_TIME_ZONE }).format(now)
}

// A moment as a datetime-local field's value in the city's time
// (YYYY-MM-DDTHH:MM), whatever the device's own time zone.
export function cityDateTimeValue (ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: CITY_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]))
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`
}

// A datetime-local value read as the city's time → ms since the epoch (NaN
// when it is not one). The zone's offset is taken at that moment.
export function cityDateTimeMs (value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value ?? '')
  if (!match) return NaN
  const [y, mo, d, hh, mm] = match.slice(1).map(Number)
  const asUtc = Date.UTC(y, mo - 1, d, hh, mm)
  const offset = (ms) => Date.parse(`${cityDateTimeValue(ms)}:00Z`) - Math.floor(ms / 60000) * 60000
  const first = asUtc - offset(asUtc)
  return asUtc - offset(first)
}

// The language switch button: shows the other language's name.
export function langSwitchLabel () {
  return lang === 'zh-CN' ? 'English' : '中文'
}
