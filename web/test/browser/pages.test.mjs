// Every page in both languages (acceptance lines 5 and 6): the walk visits
// each view of the citizen page (login, register, the code and every tab)
// and of the counter page (terminal login, staff sign-in, the scan view with
// a verdict, the kiosk with a ticket, the window with an open case, the
// hospital's registration kiosk with an appointment); at each
// it runs axe-core in zh-CN (the default) and in English (by the switch) and
// writes screenshots at 390×844 and 1280×800 to CITYCODE_SCREENSHOTS.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import { PNG } from 'pngjs'
import {
  DESKTOP_VIEWPORT, PHONE_VIEWPORT, SCREENSHOTS, counterLogin, currentCode, ensureDir, launchChromium,
  loginOnPage, openPage, startDemo, submitTyped, testid, waitForPage
} from './support.mjs'

const CITIZEN_VIEWS = ['login', 'register', 'code', 'certificates', 'consents', 'history', 'trips', 'appointments', 'access', 'devices'].map((v) => `citizen-${v}`)
const COUNTER_VIEWS = ['terminal', 'staff', 'scan', 'kiosk', 'window', 'medical'].map((v) => `counter-${v}`)
const LANGS = [['zh', 'zh-CN'], ['en', 'en']]
const SIZES = [PHONE_VIEWPORT, DESKTOP_VIEWPORT]
const BLOCKING = new Set(['serious', 'critical'])

describe('every page in both languages', { timeout: 180000 }, () => {
  let server, browser
  const analysed = [] // `${view}-${lang}` for every axe run
  const violations = [] // the serious and critical ones, with where
  const lesser = new Set() // the others' rule ids (reported, not failed)
  const written = [] // the screenshots

  before(async () => {
    server = await startDemo()
    browser = await launchChromium()
    ensureDir(SCREENSHOTS)
    for (const view of [...CITIZEN_VIEWS, ...COUNTER_VIEWS]) {
      for (const [lang] of LANGS) for (const size of SIZES) rmSync(shotPath(view, lang, size), { force: true })
    }
  })
  after(async () => {
    await browser?.close()
    await server?.stop()
  })

  function shotPath (view, lang, size) {
    return join(SCREENSHOTS, `${view}-${lang}-${size.width}x${size.height}.png`)
  }

  async function setLang (page, lang) {
    const button = testid(page, 'lang-switch')
    if (await button.getAttribute('data-lang') !== lang) await button.click()
    await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' })
  }

  // In each language: the view's content ready, axe, then the screenshots
  // (the page is put back to the size it had).
  async function visit (page, view, ready = settled) {
    const own = page.viewportSize()
    for (const [lang, htmlLang] of LANGS) {
      await setLang(page, htmlLang)
      await ready(page)
      const result = await new AxeBuilder({ page }).analyze()
      analysed.push(`${view}-${lang}`)
      for (const v of result.violations) {
        if (BLOCKING.has(v.impact)) violations.push(`${view}-${lang}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
        else lesser.add(`${v.impact} ${v.id}`)
      }
      for (const size of SIZES) {
        await page.setViewportSize(size)
        await page.screenshot({ path: shotPath(view, lang, size), fullPage: true })
        written.push(shotPath(view, lang, size))
      }
      await page.setViewportSize(own)
    }
  }

  // A tab's data shown: no panel loading (a language switch re-renders it).
  function settled (page) {
    return waitForPage(page, () => !document.querySelector('.panel[aria-busy="true"], .panel .loading'))
  }

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
