// The hotel scene through the counter page: at 即墨古城酒店's front desk
// (前台 1, the clerk signed in) the clerk chooses room 101, the demo
// citizen's code (typed, as a hand scanner does) joins the party as
// "入住人 1", and 办理入住 checks them in: the stay shows the citizen's name,
// and the stays list shows it in house with its police report (the demo
// runs the police system as a receiver on loopback, and the feeds say it
// is up to date before). The used code again is refused in words (replayed) and dropped
// from the party. A second tab of the desk checks a passport guest into 102
// by hand; the first tab, its room list not yet refreshed, is refused
// room_occupied in words and keeps the unspent code, which then checks in
// to 103. 103 moves to 104 and is cancelled as entered in error (with a
// reason), 101 checks out in two steps. axe-core finds no
// serious violation, and the English switch shows English words.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { AxeBuilder } from '@axe-core/playwright'
import {
  DESKTOP_VIEWPORT, counterLogin, currentCode, loginOnPage, openPage, settledVerdict, testid, withDemoAndBrowser
} from './support.mjs'

const DEMO_CITIZEN_NAME = /张明/ // 演示市民张明, the demo phone's citizen

describe('a hotel front desk checks guests in by their codes', { timeout: 180000 }, () => {
  const env = withDemoAndBrowser()

  // The desk: terminal key and clerk, then the hotel's rooms listed.
  async function openDesk () {
    const desk = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(desk, env.server.terminalKey('hotel'))
    await testid(desk, 'step-hotel-desk').waitFor({ state: 'attached' })
    await desk.locator('[data-testid="hotel-room"] option').nth(9).waitFor({ state: 'attached' })
    return desk
  }

  // A code read into the party (typed and Enter, as a hand scanner types it).
  async function scanIntoParty (desk, code, count) {
    await testid(desk, 'code-input').fill(code)
    await testid(desk, 'code-input').press('Enter')
    await desk.locator(`[data-testid="party"][data-count="${count}"]`).waitFor({ state: 'attached' })
  }

  async function checkIn (desk) {
    await testid(desk, 'verdict').evaluate((el) => { el.dataset.state = 'idle'; el.dataset.reason = '' })
    await testid(desk, 'check-in').click()
    return settledVerdict(desk)
  }

  const stay = (desk, room) => desk.locator(`[data-testid="hotel-stay"][data-room="${room}"]`)

  test('check-in by the code, refusals in words, room change, cancellation and check-out', async () => {
    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    await loginOnPage(citizen)
    const first = await currentCode(citizen)

    const desk = await openDesk()
    assert.equal((await testid(desk, 'header-org').textContent()).trim(), '即墨古城酒店')
    const rooms = await desk.locator('[data-testid="hotel-room"] option').evaluateAll((options) => options.map((o) => o.textContent))
    assert.deepEqual(rooms, ['101', '102', '103', '104', '105', '201', '202', '203', '204', '205'])
    // The demo's police system (a receiver on loopback): nothing waiting yet.
    const police = desk.locator('[data-testid="hotel-feed"][data-destination="police"]')
    assert.equal(await police.getAttribute('data-state'), 'ok')
    assert.match(await police.textContent(), /公安旅馆业系统.*正常/)
    await testid(desk, 'stays-empty').waitFor()

    // Nobody in the party yet: said on the page, nothing sent.
    await testid(desk, 'check-in').click()
    assert.equal(await testid(desk, 'check-in-status').getAttribute('data-error-code'), 'party_empty')
    assert.match(await testid(desk, 'check-in-status').textContent(), /请先扫码或手工登记入住人/)
    assert.equal(await testid(desk, 'verdict').getAttribute('data-state'), 'idle')

    // Room 101, the citizen's code: "入住人 1", then checked in with the name.
    await testid(desk, 'hotel-room').selectOption({ label: '101' })
    await scanIntoParty(desk, first.code, 1)
    assert.match(await testid(desk, 'party-guest').textContent(), /入住人 1 · 城市码/)
    assert.deepEqual(await checkIn(desk), { state: 'valid', reason: 'valid' })
    assert.match(await testid(desk, 'verdict').textContent(), /入住成功：101 房间/)
    const result = desk.locator('[data-testid="hotel-stay-result"]:not([hidden])')
    await result.waitFor()
    assert.equal(await result.getAttribute('data-room'), '101')
    assert.match(await result.locator('[data-testid="stay-guest"]').textContent(), DEMO_CITIZEN_NAME)
    await testid(desk, 'party-empty').waitFor()

    // The stays list: in house, the name, the guest's police report (sent
    // by the relay in its own time: pending or delivered), in words.
    const in101 = stay(desk, '101')
    await in101.waitFor()
    assert.equal(await in101.getAttribute('data-state'), 'in_house')
    assert.match(await in101.locator('[data-testid="stay-state"]').textContent(), /在住/)
    assert.match(await in101.locator('[data-testid="stay-guest"]').textContent(), DEMO_CITIZEN_NAME)
    const report = in101.locator('[data-testid="stay-report"]')
    assert.equal(await report.count(), 1)
    assert.equal(await report.getAttribute('data-type'), 'hotel.guest.checked_in')
    assert.match(await report.getAttribute('data-state'), /^(pending|delivered)$/)
    assert.equal(await report.getAttribute('data-overdue'), 'false')
    assert.match(await report.textContent(), /公安旅馆业系统/)
    // 101 is occupied now: listed, not choosable.
    await desk.locator('[data-testid="hotel-room"] option[data-number="101"][data-occupied="true"][disabled]').waitFor({ state: 'attached' })

    // The used code again (room 102): refused in words, the spent code dropped.
    await testid(desk, 'hotel-room').selectOption({ label: '102' })
    await scanIntoParty(desk, first.code, 1)
    assert.deepEqual(await checkIn(desk), { state: 'refused', reason: 'replayed' })
    assert.match(await testid(desk, 'verdict').textContent(), /码已使用过/)
    assert.equal(await testid(desk, 'check-in-status').getAttribute('data-error-code'), 'replayed')
    assert.match(await testid(desk, 'check-in-status').textContent(), /刷新城市码后重新扫码/)
    await testid(desk, 'party-empty').waitFor()
    assert.equal(await testid(desk, 'hotel-stay-result').isHidden(), true)

    // A second tab of the desk checks a passport guest into 102 by hand.
    const other = await openDesk()
    await testid(other, 'hotel-room').selectOption({ label: '102' })
    await testid(other, 'hand-entry').locator('summary').click()
    await testid(other, 'hand-name').fill('JOHN SMITH')
    await testid(other, 'hand-document-type').selectOption('passport')
    await testid(other, 'hand-document-number').fill('X1234567')
    await testid(other, 'hand-sex').selectOption('M')
    await testid(other, 'hand-birth-date').fill('1985-01-02')
    // A nationality not of three letters is refused on the page, in words.
    await testid(other, 'hand-nationality').fill('UK')
    await testid(other, 'hand-add').click()
    assert.equal(await testid(other, 'hand-status').getAttribute('data-error-code'), 'nationality_invalid')
    await testid(other, 'hand-nationality').fill('gbr')
    await testid(other, 'hand-add').click()
    await other.locator('[data-testid="party"][data-count="1"]').waitFor({ state: 'attached' })
    assert.match(await testid(other, 'party-guest').textContent(), /入住人 1 · 手工登记：JOHN SMITH · 护照/)
    assert.deepEqual(await checkIn(other), { state: 'valid', reason: 'valid' })
    const byHand = other.locator('[data-testid="hotel-stay-result"] [data-testid="stay-guest"]')
    assert.match(await byHand.textContent(), /JOHN SMITH.*手工登记/)
    assert.equal(await byHand.getAttribute('data-source'), 'hand')
    await other.close()

    // The first tab has not refreshed its rooms: 102 looks free, and a fresh
    // code checking in there is refused room_occupied, in words, before the
    // code is spent; the party keeps it.
    await testid(citizen, 'code-refresh').click()
    const second = await currentCode(citizen, first)
    await testid(desk, 'hotel-room').selectOption({ label: '102' })
    await scanIntoParty(desk, second.code, 1)
    assert.deepEqual(await checkIn(desk), { state: 'refused', reason: 'room_occupied' })
    assert.match(await testid(desk, 'verdict').textContent(), /该房间已有客人在住/)
    assert.match(await testid(desk, 'check-in-status').textContent(), /入住人已保留/)
    await desk.locator('[data-testid="party"][data-count="1"]').waitFor({ state: 'attached' })
    // The refusal reloaded the rooms: 102 is occupied, 103 is chosen; the kept code checks in.
    await desk.locator('[data-testid="hotel-room"] option[data-number="102"][data-occupied="true"]').waitFor({ state: 'attached' })
    await testid(desk, 'hotel-room').selectOption({ label: '103' })
    assert.deepEqual(await checkIn(desk), { state: 'valid', reason: 'valid' })
    await stay(desk, '103').waitFor()
    await stay(desk, '102').waitFor()

    // 103 moves to 104.
    await stay(desk, '103').locator('[data-testid="stay-move-room"]').selectOption({ label: '104' })
    await stay(desk, '103').locator('[data-testid="stay-move"]').click()
    await stay(desk, '104').waitFor()
    assert.equal(await stay(desk, '103').count(), 0)
    assert.match(await testid(desk, 'stays-status').textContent(), /已换到 104 房间/)

    // 104 was entered in error: cancelled with a reason (none is refused), in two steps.
    const in104 = stay(desk, '104')
    await in104.locator('.stay__cancel summary').click()
    await in104.locator('[data-testid="stay-cancel"]').click()
    await in104.locator('[data-testid="stay-cancel-confirm"]').click()
    assert.equal(await in104.locator('[data-testid="stay-status"]').getAttribute('data-error-code'), 'cancel_reason_missing')
    assert.equal(await in104.getAttribute('data-state'), 'in_house')
    await in104.locator('[data-testid="stay-cancel-reason"]').fill('录入错误')
    await in104.locator('[data-testid="stay-cancel-confirm"]').click()
    await desk.locator('[data-testid="hotel-stay"][data-room="104"][data-state="cancelled"]').waitFor()
    assert.match(await stay(desk, '104').locator('[data-testid="stay-state"]').textContent(), /已撤销/)
    assert.match(await testid(desk, 'stays-status').textContent(), /104 房间的登记已撤销/)

    // 101 checks out in two steps: asked first, then done; its room is free again.
    await stay(desk, '101').locator('[data-testid="stay-check-out"]').click()
    assert.match(await stay(desk, '101').locator('.confirm__question').textContent(), /确认为该房间办理退房/)
    assert.equal(await stay(desk, '101').getAttribute('data-state'), 'in_house', 'not before the confirmation')
    await stay(desk, '101').locator('[data-testid="stay-check-out-confirm"]').click()
    await desk.locator('[data-testid="hotel-stay"][data-room="101"][data-state="checked_out"]').waitFor()
    assert.match(await stay(desk, '101').locator('[data-testid="stay-state"]').textContent(), /已退房/)
    assert.equal(await stay(desk, '101').locator('[data-testid="stay-check-out"]').count(), 0)
    await desk.locator('[data-testid="hotel-room"] option[data-number="101"][data-occupied="false"]').waitFor({ state: 'attached' })

    // No personal data in a request URL.
    const urls = []
    desk.on('request', (request) => urls.push(request.url()))
    await testid(desk, 'stays-refresh').click()
    await desk.locator('[data-testid="stays-refresh"]:not([disabled])').waitFor()
    assert.ok(urls.length > 0)
    for (const url of urls) assert.doesNotMatch(decodeURIComponent(url), /张明|JOHN|X1234567|CC1:/)

    // Accessible, in Chinese and in English.
    const serious = async () => (await new AxeBuilder({ page: desk }).analyze()).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)
    assert.deepEqual(await serious(), [])
    await testid(desk, 'lang-switch').click()
    await desk.locator('html[lang="en"]').waitFor({ state: 'attached' })
    assert.equal((await testid(desk, 'check-in').textContent()).trim(), 'Check in')
    assert.match(await police.textContent(), /Police hotel-guest system: (Up to date|\d+ pending)/)
    assert.match(await stay(desk, '102').locator('[data-testid="stay-state"]').textContent(), /In house/)
    assert.match(await stay(desk, '102').locator('[data-testid="stay-report"]').textContent(), /Guest check-in → Police hotel-guest system/)
    assert.match(await stay(desk, '104').locator('[data-testid="stay-state"]').textContent(), /Cancelled/)
    assert.match(await stay(desk, '101').locator('[data-testid="stay-state"]').textContent(), /Checked out/)
    assert.match(await testid(desk, 'verdict').textContent(), /Checked in: room 103/)
    assert.deepEqual(await serious(), [])
  })
})
