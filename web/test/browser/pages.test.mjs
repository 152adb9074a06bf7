// Every page in both languages (acceptance lines 5 and 6): the walk visits
// each view of the citizen page (login, register, the code and every tab)
// and of the counter page (terminal login, staff sign-in, the scan view with
// a verdict, the kiosk with a ticket, the window with an open case, the
// hospital's registration kiosk with an appointment); at each
// it runs axe-core in zh-CN (the default) and in English (by the switch) and
// writes screenshots at 390×844 and 1280×800 to CITYCODE_SCREENSHOTS. (The
// organisation page's views are walked the same way in org.test.mjs — its
// scenes' setup views in org_scenes.test.mjs —, the operator dashboard's in
// ops.test.mjs.)
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, existsSync } from 'node:fs'
import { PNG } from 'pngjs'
import {
  DESKTOP_VIEWPORT, LANGS, PHONE_VIEWPORT, SIZES, counterLogin, currentCode, launchChromium, loginOnPage, openPage,
  panelsSettled as settled, shotPath, startDemo, submitTyped, testid, viewAudit
} from './support.mjs'

const CITIZEN_VIEWS = ['login', 'register', 'code', 'certificates', 'consents', 'history', 'trips', 'appointments', 'access', 'devices'].map((v) => `citizen-${v}`)
const COUNTER_VIEWS = ['terminal', 'staff', 'scan', 'kiosk', 'window', 'medical'].map((v) => `counter-${v}`)

describe('every page in both languages', { timeout: 180000 }, () => {
  let server, browser
  const audit = viewAudit()
  const { analysed, violations, lesser, written } = audit
  const visit = (page, view, ready = settled) => audit.visit(page, view, ready)

  before(async () => {
    server = await startDemo()
    browser = await launchChromium()
    audit.clear([...CITIZEN_VIEWS, ...COUNTER_VIEWS])
  })
  after(async () => {
    await browser?.close()
    await server?.stop()
  })

  test('the citizen and counter pages are walked, each view in both languages', async () => {
    // The citizen page before and after logging in (its codes feed the counter).
    // Its time fixed at the server's manual clock: codes made a minute later
    // in real time are still of the server's present (and axe-core, which
    // needs timers, runs).
    const citizen = await openPage(browser, server, '/', { viewport: PHONE_VIEWPORT, clock: 'fixed' })
    await testid(citizen, 'login-form').waitFor()
    await visit(citizen, 'citizen-login')
    await testid(citizen, 'go-register').click()
    await visit(citizen, 'citizen-register', (page) => testid(page, 'register-form').waitFor())
    await testid(citizen, 'go-login').click()
    await loginOnPage(citizen)
    await visit(citizen, 'citizen-code', (page) => currentCode(page))
    let last = await currentCode(citizen)
    const freshCode = async () => {
      await testid(citizen, 'code-refresh').click()
      last = await currentCode(citizen, last)
      return last.code
    }

    // The counter: terminal login, staff sign-in, the kiosk with a ticket.
    const kiosk = await openPage(browser, server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await testid(kiosk, 'terminal-form').waitFor()
    await visit(kiosk, 'counter-terminal')
    await testid(kiosk, 'terminal-key').fill(server.terminalKey('kiosk'))
    await testid(kiosk, 'terminal-submit').click()
    await testid(kiosk, 'staff-form').waitFor()
    await visit(kiosk, 'counter-staff')
    await counterLogin(kiosk, null, { terminal: false })
    await testid(kiosk, 'service-item').selectOption({ label: '户口迁移' })
    assert.equal((await submitTyped(kiosk, await freshCode())).reason, 'valid')
    await testid(kiosk, 'ticket').waitFor()
    await visit(kiosk, 'counter-kiosk')

    // A transit gate's scan view with its verdict.
    const gate = await openPage(browser, server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(gate, server.terminalKey('gate'), { staff: false })
    assert.equal((await submitTyped(gate, await freshCode())).reason, 'valid')
    await visit(gate, 'counter-scan')

    // The window with the case open.
    const window = await openPage(browser, server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(window, server.terminalKey('window'))
    await testid(window, 'call-next').click()
    await window.locator('[data-testid="current-ticket"]:not([data-ticket-id=""])').waitFor()
    assert.equal((await submitTyped(window, await freshCode())).reason, 'valid')
    await testid(window, 'case').waitFor()
    await visit(window, 'counter-window')

    // The hospital's registration kiosk with an appointment made.
    const hospital = await openPage(browser, server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(hospital, server.terminalKey('hospital'))
    await testid(hospital, 'medical-slot').waitFor()
    assert.equal((await submitTyped(hospital, await freshCode())).reason, 'valid')
    await hospital.locator('[data-testid="kiosk-appointment"]:not([hidden])').waitFor()
    await visit(hospital, 'counter-medical')

    // The citizen's tabs (the history now has the hall's fetch).
    for (const tab of ['certificates', 'consents', 'history', 'trips', 'appointments', 'access', 'devices']) {
      await testid(citizen, `tab-${tab}`).click()
      const ready = tab === 'consents'
        ? async (page) => { await testid(page, 'grant-form').waitFor(); await settled(page) }
        : tab === 'appointments' // the booking form with today's slots
          ? async (page) => { await page.locator('[data-testid="book-slot"]').first().waitFor(); await settled(page) }
          : tab === 'access' // today's slots at the scenic area and the visitor pass form
            ? async (page) => { await page.locator('[data-testid="access-slot"]').first().waitFor(); await testid(page, 'access-pass-form').waitFor(); await settled(page) }
            : settled
      await visit(citizen, `citizen-${tab}`, ready)
    }
  })

  test('axe-core finds no serious or critical violation on any page, in both languages', (t) => {
    if (lesser.size) t.diagnostic(`lesser axe findings (not failed): ${[...lesser].join(', ')}`)
    const expected = [...CITIZEN_VIEWS, ...COUNTER_VIEWS].flatMap((view) => LANGS.map(([lang]) => `${view}-${lang}`))
    assert.deepEqual([...analysed].sort(), expected.sort(), 'every view was analysed in both languages')
    assert.deepEqual(violations, [], `serious or critical violations:\n${violations.join('\n')}`)
  })

  test('screenshots of every page at 390×844 and 1280×800 in both languages', () => {
    for (const view of [...CITIZEN_VIEWS, ...COUNTER_VIEWS]) {
      for (const [lang] of LANGS) {
        for (const size of SIZES) {
          const path = shotPath(view, lang, size)
          assert.ok(existsSync(path), `${path} written`)
          const png = PNG.sync.read(readFileSync(path))
          assert.equal(png.width, size.width, `${path} width`)
          assert.ok(png.height >= size.height, `${path} height ${png.height}`)
        }
      }
    }
    assert.equal(written.length, (CITIZEN_VIEWS.length + COUNTER_VIEWS.length) * LANGS.length * SIZES.length)
  })
})
