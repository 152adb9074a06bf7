// The citizen page's 出入通行 tab (the access scene): the demo citizen books
// an entry time at 鹤山风景区 (the demo seeds hourly slots 08:00-17:00 today
// and tomorrow and books them today's 08:00; the demo clock is 05:30 in
// Jimo), sees it listed, is refused the same slot (already_booked) and a
// third of the day (booking_limit) in words, and cancels it in two steps,
// which gives the place back. As a resident of 墨河社区 (seeded, with one
// printed pass) they issue a printed pass, whose QR the third-party decoders
// read as the CV1 text the API answered, and the print stylesheet shows only
// the pass; then a visitor pass, whose claim token a second demo citizen
// redeems on their page (pasting the whole message), the resident's list
// shows it redeemed, and it is revoked in two steps. axe-core is clean in
// zh-CN and English; no token or code ever goes in a request URL.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import { decodeWithTools, loginOnPage, openPage, tempDir, testid, waitForPage, withDemoAndBrowser } from './support.mjs'

const SECOND_CITIZEN = '13900000002'

describe('the access tab: bookings, visitor passes, redeeming one', { timeout: 180000 }, () => {
  const env = withDemoAndBrowser()
  const urls = [] // every request URL of the citizens' pages
  let resident = null // the demo citizen's page, kept across the tests
  let visitorPass = null // {id, token}

  // A demo access organisation's site, as its administrator sees it.
  async function siteOf (orgName) {
    const admin = { key: env.server.keys.admin_key }
    const orgs = await env.server.api('GET', '/v1/orgs', admin)
    const org = orgs.body.orgs.find((o) => o.name === orgName)
    assert.ok(org, `the demo has ${orgName}`)
    const sites = await env.server.api('GET', `/v1/orgs/${encodeURIComponent(org.id)}/access/sites`, admin)
    assert.equal(sites.status, 200, sites.text)
    return sites.body.sites[0]
  }

  async function openCitizen (phone) {
    // A device scale of 2, so the QR's modules are whole pixels for the decoders.
    const page = await openPage(env.browser, env.server, '/', { clock: 'paused', deviceScaleFactor: 2 })
    page.on('request', (request) => urls.push(request.url()))
    await loginOnPage(page, phone)
    await testid(page, 'tab-access').click()
    return page
  }

  const slotRow = (page, id) => page.locator(`[data-testid="access-slot"][data-slot-id="${id}"]`)

  test('鹤山风景区: a day\'s slots, a booking listed, the same slot and a third of the day refused in words, cancelled in two steps', async () => {
    resident = await openCitizen()
    assert.equal((await testid(resident, 'tab-access').textContent()).trim(), '出入通行')
    const heshan = await siteOf('鹤山风景区')
    const site = testid(resident, 'access-site')
    await site.waitFor()
    await site.selectOption(heshan.id)
    const day = testid(resident, 'access-day')
    const days = await day.locator('option').evaluateAll((options) => options.map((o) => o.value))
    assert.equal(days.length, 8, 'today and the next 7 days')
    await day.selectOption(days[0])

    // Today's hourly slots, 08:00 (the seeded booking's, one place taken) to 16:00.
    const rows = resident.locator('[data-testid="access-slot"]')
    await rows.first().waitFor()
    await resident.locator('[data-testid="access-slots"][aria-busy="false"]').waitFor({ state: 'attached' })
    const slots = await rows.evaluateAll((lis) => lis.map((li) => ({
      id: li.dataset.slotId, available: Number(li.dataset.available), text: li.querySelector('[data-testid="access-slot-text"]').textContent
    })))
    assert.equal(slots.length, 9, slots.map((s) => s.text).join('\n'))
    assert.equal(slots[0].text, '08:00–09:00 · 余 49 个')
    assert.equal(slots[1].text, '09:00–10:00 · 余 50 个')
    const [held, slot, third] = slots

    // Book 09:00: the status says where and when, the list has it, a place fewer.
    await slotRow(resident, slot.id).locator('[data-testid="access-slot-submit"]').click()
    const status = testid(resident, 'access-book-status')
    await resident.locator('[data-testid="access-book-status"][data-booking-id]').waitFor({ state: 'attached' })
    assert.match(await status.textContent(), new RegExp(`预约成功：.*${heshan.name}，.*09:00`))
    const bookingId = await status.getAttribute('data-booking-id')
    const card = resident.locator(`[data-testid="access-booking"][data-booking-id="${bookingId}"]`)
    await card.waitFor()
    assert.equal(await card.getAttribute('data-state'), 'booked')
    assert.equal(await card.getAttribute('data-slot-id'), slot.id)
    assert.match(await card.locator('[data-testid="access-booking-site"]').textContent(), new RegExp(heshan.name))
    assert.match(await card.locator('[data-testid="access-booking-time"]').textContent(), /09:00/)
    await resident.locator(`[data-testid="access-slot"][data-slot-id="${slot.id}"][data-available="49"]`).waitFor({ state: 'attached' })
    // The seeded 08:00 booking is listed too.
    await resident.locator(`[data-testid="access-booking"][data-slot-id="${held.id}"][data-state="booked"]`).waitFor()

    // The same slot again: already_booked, in words.
    await slotRow(resident, slot.id).locator('[data-testid="access-slot-submit"]').click()
    await resident.locator('[data-testid="access-book-status"][data-error-code="already_booked"]').waitFor({ state: 'attached' })
    assert.match(await status.textContent(), /您已预约了这个时段/)
    // A third booking of the day at this site: booking_limit (2 a day), in words.
    await slotRow(resident, third.id).locator('[data-testid="access-slot-submit"]').click()
    await resident.locator('[data-testid="access-book-status"][data-error-code="booking_limit"]').waitFor({ state: 'attached' })
    assert.match(await status.textContent(), /预约已达上限/)
    await resident.locator(`[data-testid="access-slot"][data-slot-id="${third.id}"][data-available="50"]`).waitFor({ state: 'attached' })

    // Cancelled in two steps: the card says so, has no cancel button, the place is back.
    await card.locator('[data-testid="access-booking-cancel"]').click()
    assert.match(await card.locator('.confirm__question').textContent(), /确定取消这个预约吗/)
    await card.locator('[data-testid="access-booking-cancel-confirm"]').click()
    const cancelled = resident.locator(`[data-testid="access-booking"][data-booking-id="${bookingId}"][data-state="cancelled"]`)
    await cancelled.waitFor()
    assert.equal(await cancelled.locator('[data-testid="access-booking-cancel"]').count(), 0)
    assert.equal((await cancelled.locator('[data-testid="access-booking-state"]').textContent()).trim(), '已取消')
    await resident.locator(`[data-testid="access-slot"][data-slot-id="${slot.id}"][data-available="50"]`).waitFor({ state: 'attached' })
  })

  test('墨河社区: a printed pass whose QR decodes to the CV1 text the API answered, printed alone', async () => {
    assert.ok(resident, 'the first test left the resident\'s page')
    const mohe = await siteOf('墨河社区')
    // The seeded printed pass is listed, and its community offered for issuing.
    await resident.locator(`[data-testid="access-pass"][data-site-id="${mohe.id}"][data-kind="printed"]`).first().waitFor()
    const siteSelect = testid(resident, 'access-pass-site')
    assert.deepEqual(await siteSelect.locator('option').evaluateAll((options) => options.map((o) => o.value)), [mohe.id])
    await siteSelect.selectOption(mohe.id)
    await testid(resident, 'access-pass-kind-printed').check()
    await testid(resident, 'access-pass-entries').fill('3')
    const [answer] = await Promise.all([
      resident.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/me/access/passes'),
      testid(resident, 'access-pass-submit').click()
    ])
    assert.equal(answer.status(), 201)
    const pass = await answer.json()
    assert.match(pass.printed_text, /^CV1:/)
    assert.equal(pass.entries, 3)
    assert.equal(pass.site_id, mohe.id)
    // The window asked for: from now (the server's), 24 h by default.
    assert.equal(Date.parse(pass.valid_from), env.server.nowMs)
    assert.equal(Date.parse(pass.valid_until), env.server.nowMs + 24 * 3600 * 1000)

    const issued = resident.locator(`[data-testid="access-issued"][data-pass-id="${pass.id}"][data-kind="printed"]`)
    await issued.waitFor()
    assert.match(await testid(resident, 'access-pass-status').textContent(), /已开出纸质通行证/)
    const qr = resident.locator('[data-testid="access-issued-qr"][data-drawn="true"]')
    await qr.waitFor()
    assert.equal(await qr.getAttribute('data-text'), pass.printed_text)
    const dir = tempDir()
    try {
      const png = join(dir, 'printed-pass.png')
      await qr.screenshot({ path: png })
      const decoded = await decodeWithTools(png)
      assert.equal(decoded.zxing, pass.printed_text, 'ZXingReader reads the printed pass')
      assert.equal(decoded.zbar, pass.printed_text, 'zbarimg reads the printed pass')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }

    // Printing shows the pass alone: no header, tabs, forms or buttons.
    await resident.emulateMedia({ media: 'print' })
    try {
      assert.equal(await qr.isVisible(), true)
      assert.equal(await testid(resident, 'access-print-pass').isVisible(), true)
      for (const other of ['tab-access', 'access-pass-form', 'access-booking-form', 'access-issued-print', 'access-issued-close', 'access-claim-form']) {
        assert.equal(await testid(resident, other).isVisible(), false, `${other} is not printed`)
      }
      assert.equal(await resident.locator('.app-header').isVisible(), false)
    } finally {
      await resident.emulateMedia({ media: 'screen' })
    }
    // The print button asks the browser to print (stubbed: no dialog here).
    await resident.evaluate(() => { window.printed = 0; window.print = () => { window.printed += 1 } })
    await testid(resident, 'access-issued-print').click()
    await waitForPage(resident, () => window.printed === 1)

    // Listed: printed, 0 of 3 used, revocable.
    const listed = resident.locator(`[data-testid="access-pass"][data-pass-id="${pass.id}"]`)
    await listed.waitFor()
    assert.equal(await listed.getAttribute('data-kind'), 'printed')
    assert.equal(await listed.getAttribute('data-state'), 'valid')
    assert.equal((await listed.locator('[data-testid="access-pass-used"]').textContent()).trim(), '0 / 3 次')
    assert.equal(await listed.locator('[data-testid="access-pass-revoke"]').count(), 1)
  })

  test('a visitor pass: the token shown once, a second citizen redeems it, the list shows it redeemed, revoked in two steps', async () => {
    assert.ok(resident, 'the first test left the resident\'s page')
    await testid(resident, 'access-issued-close').click()
    await testid(resident, 'access-issued').waitFor({ state: 'detached' })
    await testid(resident, 'access-pass-kind-visitor').check()
    await testid(resident, 'access-pass-entries').fill('1')
    const [answer] = await Promise.all([
      resident.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/me/access/passes'),
      testid(resident, 'access-pass-submit').click()
    ])
    const pass = await answer.json()
    assert.match(pass.claim_token, /^ccv_/)
    assert.equal(pass.printed_text, undefined)
    const issued = resident.locator(`[data-testid="access-issued"][data-pass-id="${pass.id}"][data-kind="visitor"]`)
    await issued.waitFor()
    assert.equal((await testid(resident, 'access-issued-token').textContent()).trim(), pass.claim_token)
    const message = (await testid(resident, 'access-issued-share').textContent()).trim()
    assert.ok(message.includes(pass.claim_token), message)
    assert.match(message, /访客通行证.*可进入 1 次/)
    assert.equal(await testid(resident, 'access-copy-token').count(), 1)
    visitorPass = { id: pass.id, token: pass.claim_token }
    const listed = resident.locator(`[data-testid="access-pass"][data-pass-id="${pass.id}"]`)
    await listed.waitFor()
    assert.equal(await listed.getAttribute('data-claimed'), 'false')
    assert.equal((await listed.locator('[data-testid="access-pass-claimed"]').textContent()).trim(), '待领取')

    // The second demo citizen pastes the whole message on their page.
    const visitor = await openCitizen(SECOND_CITIZEN)
    try {
      // Not a resident anywhere (no pass issued): no issuing form, a line on how to start.
      await testid(visitor, 'access-pass-no-site').waitFor()
      assert.equal(await testid(visitor, 'access-pass-form').count(), 0)
      await testid(visitor, 'access-claim-token').fill(message)
      await testid(visitor, 'access-claim-submit').click()
      const result = visitor.locator(`[data-testid="access-claim-result"][data-pass-id="${pass.id}"]`)
      await result.waitFor()
      assert.match(await testid(visitor, 'access-claim-status').textContent(), /已领取/)
      assert.match(await result.locator('[data-testid="access-claim-site"]').textContent(), new RegExp(pass.site))
      assert.match(await result.locator('[data-testid="access-claim-window"]').textContent(), / 至 /)
      assert.equal((await result.locator('[data-testid="access-claim-entries"]').textContent()).trim(), '1')
      assert.equal(await testid(visitor, 'access-claim-token').inputValue(), '', 'the field is emptied')

      // The resident's list (refreshed) shows it redeemed.
      await testid(resident, 'access-passes-refresh').click()
      const claimed = resident.locator(`[data-testid="access-pass"][data-pass-id="${pass.id}"][data-claimed="true"]`)
      await claimed.waitFor()
      assert.equal((await claimed.locator('[data-testid="access-pass-claimed"]').textContent()).trim(), '访客已领取')

      // Revoked in two steps: listed revoked, with no revoke button.
      await claimed.locator('[data-testid="access-pass-revoke"]').click()
      assert.match(await claimed.locator('.confirm__question').textContent(), /确定撤销吗/)
      await claimed.locator('[data-testid="access-pass-revoke-confirm"]').click()
      const revoked = resident.locator(`[data-testid="access-pass"][data-pass-id="${pass.id}"][data-state="revoked"]`)
      await revoked.waitFor()
      assert.equal(await revoked.locator('[data-testid="access-pass-revoke"]').count(), 0)
      assert.equal((await revoked.locator('[data-testid="access-pass-state"]').textContent()).trim(), '已撤销')
      // Its token, of no use now, is no longer shown.
      await testid(resident, 'access-issued').waitFor({ state: 'detached' })

      // The token again: refused in words (one answer for used, revoked or unknown).
      await testid(visitor, 'access-claim-token').fill(pass.claim_token)
      await testid(visitor, 'access-claim-submit').click()
      await visitor.locator('[data-testid="access-claim-status"][data-error-code="pass_not_found"]').waitFor({ state: 'attached' })
      assert.match(await testid(visitor, 'access-claim-status').textContent(), /领取码无效/)
    } finally {
      await visitor.context().close()
    }
  })

  test('axe-core finds nothing serious on the tab (a printed pass just issued), in zh-CN and English', async () => {
    assert.ok(resident, 'the first test left the resident\'s page')
    await testid(resident, 'access-pass-kind-printed').check()
    await testid(resident, 'access-pass-submit').click()
    const issued = resident.locator('[data-testid="access-issued"][data-kind="printed"]')
    await issued.waitFor()
    const passId = await issued.getAttribute('data-pass-id')
    await resident.locator('[data-testid="access-issued-qr"][data-drawn="true"]').waitFor()
    await resident.locator(`[data-testid="access-pass"][data-pass-id="${passId}"]`).waitFor()
    await resident.clock.resume() // axe-core needs timers
    const serious = async () => (await new AxeBuilder({ page: resident }).analyze()).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
    assert.deepEqual(await serious(), [])

    await testid(resident, 'lang-switch').click()
    await resident.locator('html[lang="en"]').waitFor({ state: 'attached' })
    assert.equal((await testid(resident, 'tab-access').textContent()).trim(), 'Entry & passes')
    // Re-rendered in English, the pass just issued (its one showing) kept.
    await resident.locator(`[data-testid="access-issued"][data-pass-id="${passId}"] [data-testid="access-issued-qr"][data-drawn="true"]`).waitFor()
    assert.match(await testid(resident, 'access-print-pass').textContent(), /Printed visitor pass/)
    const revoked = resident.locator(`[data-testid="access-pass"][data-pass-id="${visitorPass.id}"][data-state="revoked"]`)
    await revoked.waitFor()
    assert.match(await revoked.locator('[data-testid="access-pass-state"]').textContent(), /Revoked/)
    await resident.locator('[data-testid="access-slot"]').first().waitFor()
    await resident.locator('.panel[aria-busy="true"]').waitFor({ state: 'detached' })
    assert.deepEqual(await serious(), [])
  })

  test('no claim token, pass or code in any request URL', () => {
    assert.ok(urls.length > 20, `${urls.length} requests seen`)
    const leaks = urls.filter((url) => /ccv_|CV1|CC1/.test(decodeURIComponent(url)) || (visitorPass && url.includes(visitorPass.token)))
    assert.deepEqual(leaks, [])
  })
})
