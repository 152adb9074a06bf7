// Reading a trip's "rules" (how the server made its fare, rides.cc RulesText):
// "kind=complete;category=adult;channel=app;product=metro_3;window=summer_night_2026@20260715;daily_cap"
export function parseRules (text = '') {
  const rules = {}
  for (const part of text.split(';')) {
    if (!part) continue
    const at = part.indexOf('=')
    if (at < 0) rules[part] = true
    else rules[part.slice(0, at)] = part.slice(at + 1)
  }
  return rules
}

// The promotions and concessions a trip's rules name, as i18n keys with
// their parameters: what the citizen is shown beside the fare.
export function fareNotes (rules) {
  const notes = []
  if (rules.window) {
    const id = rules.window.split('@')[0]
    notes.push(id.startsWith('summer_night')
      ? { key: 'rules.summerNight', kind: 'promotion', window: id }
      : { key: 'rules.window', params: { id }, kind: 'promotion', window: id })
  }
  if (rules.daily_cap) notes.push({ key: 'rules.dailyCap', kind: 'cap' })
  if (rules.category && rules.category !== 'adult') notes.push({ key: 'rules.category', category: rules.category, kind: 'category' })
  if (rules.kind && !['complete', 'board'].includes(rules.kind)) notes.push({ key: `tripKind.${rules.kind}`, kind: 'trip' })
  return notes
}
