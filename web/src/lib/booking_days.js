// The days a citizen may book on (a hospital's slots, a scenic area's):
// today in the city and the following `ahead` days, YYYY-MM-DD, and their
// labels ("今天 · 7月16日周四").
import { h, field } from './dom.js'
import { cityToday, currentLang, t } from './i18n.js'

export function bookingDays (ahead) {
  const [y, m, d] = cityToday().split('-').map(Number)
  return Array.from({ length: ahead + 1 }, (_, i) => new Date(Date.UTC(y, m - 1, d + i)).toISOString().slice(0, 10))
}

// i: the day's place in bookingDays (0 today, 1 tomorrow).
export function dayLabel (day, i) {
  const words = new Intl.DateTimeFormat(currentLang(), { month: 'short', day: 'numeric', weekday: 'short', timeZone: 'UTC' })
    .format(new Date(`${day}T00:00:00Z`))
  return i === 0 ? `${t('appointments.today')} · ${words}` : i === 1 ? `${t('appointments.tomorrow')} · ${words}` : words
}

// A labelled select of those days, keeping `chosen` where it is offered.
export function dayChoice ({ id, label, testid, ahead, chosen }) {
  const days = field({ id, label, testid, type: 'select' })
  const offered = bookingDays(ahead)
  days.input.append(...offered.map((d, i) => h('option', { value: d }, dayLabel(d, i))))
  if (offered.includes(chosen)) days.input.value = chosen
  return days
}
