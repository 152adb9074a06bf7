// The operator dashboard (/ops): traffic made through the API — a transit
// gate's valid code, the same code again (replayed), a hall flow (kiosk
// ticket → window call → case, completed), taps uploaded by the gate (one
// of them a replay) and a lost device's code (credential_revoked) — is
// shown by scene and reason as the database counts it; a new refusal (the
// lost device's code again) shows within 5 s without a reload; the window selector asks for 6 h and 7 days;
// an organisation's or a terminal's key is refused in words; no CSP
// violation; the sign-in and the dashboard pass axe-core in zh-CN and
// English and are photographed at both sizes.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  BIN, DEMO_PASSWORD, DEMO_PHONE, DESKTOP_VIEWPORT, HALL_ORG, LANGS, SIZES, openPage, setLang, shotPath, testid,
  viewAudit, waitForPage, withDemoAndBrowser, orgAdminKey } from './support.mjs'

const run = promisify(execFile)
const OPS_VIEWS = ['ops-signin', 'ops-dashboard']
const LIVE_MS = 5000 // a change shows within this (the page asks every 3 s)

describe('the operator dashboard', { timeout: 240000 }, () => {
  const env = withDemoAndBrowser()
  const audit = viewAudit()
  let counter = 100 // the presentation counter of the codes this test makes
  let usedCode = null // a code the gate accepted once
  let cspErrors = []

  // A fresh code of the demo citizen's phone (demo.json's device key and
  // credential), stamped at the server's manual clock.
  async function makeCode () {
    const { keys } = env.server
    const { stdout } = await run(BIN, ['code', 'make', '--credential', keys.credential_file, '--device-key', keys.device_key_file,
      '--at', String(env.server.nowSeconds), '--counter', String(counter++)])
    return stdout.trim()
  }

  async function call (method, path, options, expected = 200) {
    const answer = await env.server.api(method, path, options)
    assert.equal(answer.status, expected, `${method} ${path}: ${answer.text}`)
    return answer.body
  }

  async function staffSession (role) {
    const body = await call('POST', '/v1/terminal/staff-sessions', { key: env.server.terminalKey(role), body: { login: 'clerk', password: DEMO_PASSWORD } }, 201)
    return { key: env.server.terminalKey(role), headers: { 'X-Staff-Session': body.token } }
  }

  // The demo's database file (its name is the demo's: found in its dir).
  function databaseFile () {
    const name = readdirSync(env.server.dir).find((file) => file.endsWith('.db'))
    assert.ok(name, `a SQLite database in ${env.server.dir}`)
    return join(env.server.dir, name)
  }

  // What the database counts: {scenes: {scene: {valid, refused}}, refusals: {'scene/reason': n}}.
  async function countedInDatabase () {
    const { stdout } = await run('sqlite3', ['-readonly', '-separator', '|', databaseFile(),
      'SELECT scene, valid, reason, COUNT(*) FROM verifications GROUP BY 1,2,3'])
    const counted = { scenes: {}, refusals: {} }
    for (const line of stdout.trim().split('\n').filter(Boolean)) {
      const [scene, valid, reason, count] = line.split('|')
      const n = Number(count)
      counted.scenes[scene] ??= { valid: 0, refused: 0 }
      counted.scenes[scene][valid === '1' ? 'valid' : 'refused'] += n
      if (valid !== '1') counted.refusals[`${scene}/${reason}`] = (counted.refusals[`${scene}/${reason}`] ?? 0) + n
    }
    return counted
  }

  // The same figures as the page's table cells show them (keys sorted, so
  // two countings compare as JSON). Runs in the page.
  function countedOnPage () {
    const number = (row, id) => Number(row.querySelector(`[data-testid="${id}"]`).textContent.replace(/\D/g, ''))
    const scenes = [...document.querySelectorAll('[data-testid="scene-row"]')]
      .map((row) => [row.dataset.scene, { valid: number(row, 'scene-valid'), refused: number(row, 'scene-refused') }])
    const refusals = [...document.querySelectorAll('[data-testid="refusal"]')]
      .map((row) => [`${row.dataset.scene}/${row.dataset.reason}`, number(row, 'refusal-count')])
    const byName = (a, b) => (a[0] < b[0] ? -1 : 1)
    return { scenes: Object.fromEntries(scenes.sort(byName)), refusals: Object.fromEntries(refusals.sort(byName)) }
  }

  function sortedCounts ({ scenes, refusals }) {
    const sorted = (object) => Object.fromEntries(Object.entries(object).sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    return { scenes: sorted(Object.fromEntries(Object.entries(scenes).map(([k, v]) => [k, { valid: v.valid, refused: v.refused }]))), refusals: sorted(refusals) }
  }

  // Waits (at most `timeout`) until the page shows what the database counts.
  async function pageMatches (page, expected, timeout = LIVE_MS) {
    const want = JSON.stringify(sortedCounts(expected))
    try {
      await page.waitForFunction(`JSON.stringify((${countedOnPage.toString()})()) === ${JSON.stringify(want)}`, null, { polling: 100, timeout })
    } catch {
      assert.deepEqual(await page.evaluate(`(${countedOnPage.toString()})()`), sortedCounts(expected), 'the page shows what the database counts')
    }
  }

  async function openOps () {
    const page = await openPage(env.browser, env.server, '/ops', { viewport: DESKTOP_VIEWPORT })
    page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text()) })
    await testid(page, 'ops-key-form').waitFor()
    return page
  }

  async function signIn (page, key) {
    await testid(page, 'ops-key').fill(key)
    await testid(page, 'ops-key-submit').click()
  }

  async function signInAdmin () {
    const page = await openOps()
    await signIn(page, env.server.keys.admin_key)
    await page.locator('[data-testid="ops-live"][data-generated-at]').waitFor()
    return page
  }

  test('traffic through the API is shown by scene and reason as the database counts it; a new refusal within 5 s', async () => {
    // The hall: a kiosk ticket for 户口迁移, the window calls it and opens the case with a fresh code, completed.
    const kiosk = await staffSession('kiosk')
    const items = await call('GET', '/v1/gov/terminal', kiosk)
    const item = items.service_items.find((i) => i.name === '户口迁移')
    const ticket = await call('POST', '/v1/gov/tickets', { ...kiosk, body: { qr: await makeCode(), service_item: item.id } }, 201)
    const window = await staffSession('window')
    const called = await call('POST', '/v1/gov/call', window)
    assert.equal(called.ticket.id, ticket.id)
    const opened = await call('POST', '/v1/gov/cases', { ...window, body: { qr: await makeCode(), ticket_id: ticket.id } }, 201)
    await call('POST', `/v1/gov/cases/${opened.case?.id ?? opened.id}/complete`, window)

    // The transit gate: a valid code, the same code again.
    usedCode = await makeCode()
    assert.equal((await env.server.verify(usedCode)).body.reason, 'valid')
    assert.equal((await env.server.verify(usedCode)).body.reason, 'replayed')

    // The gate uploads two boardings: a fresh code, and the used one (replayed).
    const at = new Date(env.server.nowMs).toISOString()
    const tap = (sequence, code) => ({ sequence, at, route_id: 'bus_1', stop_id: 'B101', kind: 'board', code })
    const taps = await call('POST', '/v1/transit/taps', { key: env.server.terminalKey('gate'), body: { taps: [tap(1, await makeCode()), tap(2, usedCode)] } })
    assert.equal(taps.refused, 1)

    // The phone reported lost: its next code is refused.
    const lostCode = await makeCode()
    const session = await call('POST', '/v1/sessions', { body: { phone: DEMO_PHONE, password: DEMO_PASSWORD } }, 201)
    await call('POST', `/v1/me/devices/${env.server.keys.device_id}/lost`, { key: session.token })
    assert.equal((await env.server.verify(lostCode)).body.reason, 'credential_revoked')

    const expected = await countedInDatabase()
    assert.ok(expected.scenes.gov?.valid >= 2, 'the hall verified two codes')
    assert.ok(expected.refusals['transit/replayed'] >= 2 && expected.refusals['transit/credential_revoked'] >= 1, JSON.stringify(expected))

    const page = await signInAdmin()
    await pageMatches(page, expected)
    const replayed = page.locator('[data-testid="refusal"][data-scene="transit"][data-reason="replayed"]')
    assert.equal(await replayed.locator('[data-testid="refusal-reason"]').textContent(), '码已使用过，请刷新后重新出示')
    assert.equal(await replayed.locator('[data-testid="refusal-scene"]').textContent(), '公共交通')
    assert.equal(await page.locator('[data-testid="refusal"][data-reason="credential_revoked"] [data-testid="refusal-reason"]').textContent(),
      '凭证已吊销（设备已挂失或解绑）')
    assert.equal(await page.locator('[data-testid="scene-row"][data-scene="gov"] th').textContent(), '政务服务')

    // The other sections against the server's own answer.
    const dashboard = await call('GET', '/v1/ops/dashboard?hours=24', { key: env.server.keys.admin_key })
    assert.equal(await testid(page, 'total-valid').getAttribute('data-value'), String(dashboard.verifications.valid))
    assert.equal(await testid(page, 'vault-fetches').getAttribute('data-count'), String(dashboard.vault.fetches))
    assert.ok(dashboard.vault.fetches >= 1, 'the case fetched the certificates')
    assert.equal(await testid(page, 'audit-head-seq').getAttribute('data-seq'), String(dashboard.vault.audit.head.seq))
    assert.equal(await testid(page, 'audit-head-hash').textContent(), `${dashboard.vault.audit.head.hash.slice(0, 12)}…`)
    assert.equal(await testid(page, 'terminals-active').textContent(), String(dashboard.terminals.active))
    const never = page.locator('[data-testid="silent-terminal"][data-last-seen=""] [data-testid="silent-terminal-seen"]').first()
    assert.equal(await never.textContent(), '从未')
    for (const destination of dashboard.outbox.destinations) {
      const row = page.locator(`[data-testid="outbox-destination"][data-destination="${destination.name}"]`)
      assert.equal(await row.locator('[data-testid="destination-pending"]').textContent(), String(destination.pending))
    }
    // The hour of the traffic in city time (the manual clock is 21:30 UTC: 05:30 in Jimo).
    await testid(page, 'ops-by-hour-details-summary').click()
    const hourRow = page.locator('[data-testid="hour-row"][data-scene="transit"]').first()
    assert.match(await hourRow.locator('th').textContent(), /05:00/)
    const day = dashboard.scenes.transit.operating_days.find((d) => d.trips > 0)
    assert.ok(day, 'the boarding is a trip of an operating day')
    const dayRow = page.locator(`[data-testid="transit-day"][data-day="${day.operating_day}"]`)
    assert.equal(await dayRow.locator('[data-testid="transit-day-trips"]').textContent(), String(day.trips))
    assert.equal(await dayRow.locator('[data-testid="transit-day-charged"]').getAttribute('data-fen'), String(day.charged_fen))
    assert.match(await dayRow.locator('[data-testid="transit-day-charged"]').textContent(), /^¥\d+\.\d\d$/)
    // The hall's own figures, in words, when the server gives them.
    if (dashboard.scenes.gov) {
      for (const [figure, count] of Object.entries(dashboard.scenes.gov)) {
        assert.equal(await testid(page, `figure-gov-${figure}`).getAttribute('data-count'), String(count), figure)
      }
      assert.equal(await testid(page, 'scene-figures-gov').locator('dt').first().textContent(), '取号')
      assert.ok(dashboard.scenes.gov.cases_done >= 1, 'the case was completed')
    }

    // Live: the lost phone's code once more (revocation is judged before a
    // replay); the page counts it within 5 s, no reload.
    const revoked = page.locator('[data-testid="refusal"][data-scene="transit"][data-reason="credential_revoked"] [data-testid="refusal-count"]')
    const before = Number(await revoked.textContent())
    const navigations = []
    page.on('framenavigated', (frame) => navigations.push(frame.url()))
    assert.equal((await env.server.verify(lostCode)).body.reason, 'credential_revoked')
    const started = Date.now()
    await waitForPage(page, (want) => document.querySelector('[data-testid="refusal"][data-scene="transit"][data-reason="credential_revoked"] [data-testid="refusal-count"]')?.textContent === want,
      String(before + 1), LIVE_MS)
    assert.ok(Date.now() - started <= LIVE_MS)
    assert.deepEqual(navigations, [], 'no reload')
    assert.equal(await testid(page, 'ops-by-hour-details').getAttribute('open'), '', 'the opened hour table stays open across updates')
    await pageMatches(page, await countedInDatabase())

    // A clearing run through the API shows per operator.
    const clearing = await call('POST', '/v1/transit/clearing', { key: env.server.keys.admin_key, body: { day: day.operating_day } })
    const operator = clearing.operators[0]
    const operatorRow = page.locator(`[data-testid="clearing-operator"][data-agency-id="${operator.agency_id}"]`)
    await operatorRow.waitFor({ timeout: LIVE_MS })
    assert.equal(await operatorRow.locator('th').textContent(), operator.agency_name)
  })

  test('the window selector asks for 6 hours and 7 days; sign-out forgets the key', async () => {
    const page = await signInAdmin()
    const live = testid(page, 'ops-live')
    assert.equal(await live.getAttribute('data-hours'), '24')
    await testid(page, 'ops-window').selectOption('6')
    await page.locator('[data-testid="ops-live"][data-hours="6"]').waitFor({ timeout: LIVE_MS })
    await testid(page, 'ops-window').selectOption('168')
    await page.locator('[data-testid="ops-live"][data-hours="168"]').waitFor({ timeout: LIVE_MS })
    await testid(page, 'ops-window').focus()
    await page.keyboard.press('ArrowUp') // keyboard: back to 24 h
    await page.locator('[data-testid="ops-live"][data-hours="24"]').waitFor({ timeout: LIVE_MS })

    await page.reload()
    await page.locator('[data-testid="ops-live"][data-generated-at]').waitFor()
    assert.equal(await page.evaluate(() => sessionStorage.getItem('citycode.opsKey')), env.server.keys.admin_key)
    await testid(page, 'ops-sign-out').click()
    await testid(page, 'ops-key-form').waitFor()
    assert.equal(await page.evaluate(() => sessionStorage.getItem('citycode.opsKey')), null)
    assert.equal(await testid(page, 'ops-dashboard').count(), 0)
  })

  test('the page asks every 3 s while shown, not while hidden, and not after signing out', async () => {
    // The page's timers on a paused clock: they run only as far as the test moves them.
    const page = await openPage(env.browser, env.server, '/ops', { viewport: DESKTOP_VIEWPORT, clock: 'paused' })
    const isDashboard = (request) => request.url().includes('/v1/ops/dashboard')
    const asked = []
    let answered = 0
    page.on('request', (request) => { if (isDashboard(request)) asked.push(request.url()) })
    page.on('requestfinished', (request) => { if (isDashboard(request)) answered++ })
    await signIn(page, env.server.keys.admin_key)
    await page.locator('[data-testid="ops-live"][data-generated-at]').waitFor()
    // Every request made so far has been seen once a later one is (requests
    // are reported in order), and each has its answer: a request still in
    // flight when the tab shows again would be that showing's request.
    const settled = async () => {
      await page.evaluate(() => fetch('/healthz').then((r) => r.status))
      while (answered < asked.length) await page.waitForEvent('requestfinished', isDashboard)
    }
    const askedAfter = async (ms) => {
      const before = asked.length
      await page.clock.runFor(ms)
      await settled()
      return asked.length - before
    }
    assert.equal(asked.length, 1, 'the sign-in asked once')
    assert.equal(await askedAfter(2900), 0, 'not before 3 s')
    assert.equal(await askedAfter(200), 1, 'again at 3 s')

    const setHidden = (hidden) => page.evaluate((value) => {
      Object.defineProperty(document, 'hidden', { value, configurable: true })
      Object.defineProperty(document, 'visibilityState', { value: value ? 'hidden' : 'visible', configurable: true })
      document.dispatchEvent(new Event('visibilitychange'))
    }, hidden)
    await setHidden(true)
    assert.equal(await askedAfter(15000), 0, 'nothing asked while the tab is hidden')
    const before = asked.length
    await setHidden(false)
    await settled()
    assert.equal(asked.length, before + 1, 'asked at once when the tab shows again')
    await testid(page, 'ops-sign-out').click()
    await testid(page, 'ops-key-form').waitFor()
    assert.equal(await askedAfter(15000), 0, 'nothing asked after signing out')
  })

  test('an organisation admin\'s key or a terminal key is refused in words, in both languages', async () => {
    const page = await openOps()
    const orgKey = orgAdminKey(env.server, HALL_ORG)
    for (const key of [orgKey, env.server.terminalKey('gate')]) {
      await signIn(page, key)
      const refused = page.locator('[data-testid="ops-key-status"][data-error-code="ops_key_not_admin"]')
      await refused.waitFor()
      assert.equal(await refused.textContent(), '本页面需要城市平台管理员的密钥：机构管理员密钥和终端密钥不能在这里使用。')
      await setLang(page, 'en')
      assert.match(await refused.textContent(), /needs the city platform’s admin key/)
      await setLang(page, 'zh-CN')
      await testid(page, 'ops-key-status').evaluate((el) => { delete el.dataset.errorCode })
    }
    await signIn(page, 'cck_000000000000000000000000_not-a-key')
    await page.locator('[data-testid="ops-key-status"][data-error-code="ops_key_refused"]').waitFor()
    assert.equal(await page.evaluate(() => sessionStorage.getItem('citycode.opsKey')), null, 'a refused key is not kept')
    assert.equal(await testid(page, 'ops-dashboard').count(), 0)
  })

  test('the sign-in and the dashboard pass axe-core in zh-CN and English, photographed at both sizes; no CSP violation', async (t) => {
    audit.clear(OPS_VIEWS)
    const page = await openOps()
    await audit.visit(page, 'ops-signin', (p) => testid(p, 'ops-key-form').waitFor())
    await signIn(page, env.server.keys.admin_key)
    await audit.visit(page, 'ops-dashboard', async (p) => {
      await p.locator('[data-testid="ops-live"][data-generated-at]').waitFor()
      await testid(p, 'verifications-chart').locator('canvas').waitFor()
    })
    if (audit.lesser.size) t.diagnostic(`lesser axe findings (not failed): ${[...audit.lesser].join(', ')}`)
    const expected = OPS_VIEWS.flatMap((view) => LANGS.map(([lang]) => `${view}-${lang}`))
    assert.deepEqual([...audit.analysed].sort(), expected.sort())
    assert.deepEqual(audit.violations, [], `serious or critical violations:\n${audit.violations.join('\n')}`)
    for (const view of OPS_VIEWS) {
      for (const [lang] of LANGS) for (const size of SIZES) assert.ok(existsSync(shotPath(view, lang, size)), `${view}-${lang} ${size.width}`)
    }
    assert.deepEqual(cspErrors, [], 'no Content Security Policy violation on /ops')
  })
})
