// How the trips view reads the rules that made a fare.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fareNotes, parseRules } from '../src/citizen/fare_rules.js'

test('the summer-night rule is named as a promotion', () => {
  const rules = parseRules('kind=complete;category=adult;channel=app;product=metro_3;leg_rule_line=3;window=summer_night_2026@20260715')
  assert.equal(rules.window, 'summer_night_2026@20260715')
  assert.deepEqual(fareNotes(rules), [{ key: 'rules.summerNight', kind: 'promotion', window: 'summer_night_2026' }])
})

test('a daily cap, a concession and an incomplete trip are each named', () => {
  const notes = fareNotes(parseRules('kind=no_exit;category=senior;channel=app;daily_cap'))
  assert.deepEqual(notes.map((n) => n.key), ['rules.dailyCap', 'rules.category', 'tripKind.no_exit'])
})

test('a plain bus ride names nothing', () => {
  assert.deepEqual(fareNotes(parseRules('kind=board;category=adult;channel=app;product=bus_flat;leg_rule_line=2')), [])
})
