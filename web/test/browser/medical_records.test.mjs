// The 挂号 tab beyond booking, through the page: the demo citizen sees their
// lab result from 即墨区人民医院 (HbA1c 5.9 %, 4.0-6.0) in 健康档案; lets
// 即墨区中医医院 read their health records (授权医院查看), sees the consent
// listed ending 24 h on (the server's default), and revokes it; a health
// consent too long, given on the 我的授权 tab, is refused in words. Then, as a
// guardian, books a slot for the child 演示儿童张小雨 chosen at the top: the
// appointment is the child's, not 本人's; 本人 books one too, and 本人's bill
// (费用) shows its registration fee and the totals, and the child's bill
// theirs.
// A visit closed at the desk shows as a 门诊病历: its summary as text, line
// feeds kept; the medicines picked up are 药费 on the bill.
// No health value reaches a URL, the console,
// localStorage or IndexedDB. axe-core is clean in Chinese and in English.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { AxeBuilder } from '@axe-core/playwright'
import { currentCode, loginOnPage, openPage, testid, withDemoAndBrowser } from './support.mjs'

const CHILD = '演示儿童张小雨'
const HOSPITAL = '即墨区人民医院'
const CONSENTED = '即墨区中医医院'
// The demo lab result's values: none may leave the page's memory.
const HEALTH_VALUES = ['HbA1c', '糖化血红蛋白', '4.0-6.0']
const DAY_MS = 24 * 3600 * 1000

// A demo terminal's key of 即墨区人民医院 by its name (门诊楼 1 the kiosk,
// 门诊楼 诊室1 the desk, 门诊楼 药房1 the pharmacy).
function hospitalKey (server, name) {
  const found = server.keys.terminals.find((t) => t.org === HOSPITAL && t.name === name)
  if (!found) throw new Error(`no demo terminal ${HOSPITAL} ${name}`)
  return found.api_key
}

// One API call that must answer `status`; its body.
async function expectApi (server, method, path, key, body, status) {
  const answer = await server.api(method, path, { key, body })
  assert.equal(answer.status, status, `${method} ${path}: ${answer.text}`)
  return answer.body
}

describe('health records, health-data consent, a child and the bill on the 挂号 tab', { timeout: 180000 }, () => {
  const env = withDemoAndBrowser()
  const shared = {} // the first test's page and the child's booking

  test('the demo citizen sees the lab result, consents a hospital for 24 h and revokes it, books for the child, and sees 本人’s fee on the bill', async () => {
    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    // What leaves the page: every request's URL and every console line.
    const urls = []
    const logs = []
    citizen.on('request', (request) => urls.push(request.url()))
    citizen.on('console', (message) => logs.push(message.text()))
    await loginOnPage(citizen)
    await testid(citizen, 'tab-appointments').click()

    // 健康档案: the lab result with its values.
    const lab = citizen.locator('[data-testid="record"][data-type="lab_result"]')
    await lab.waitFor()
    assert.match(await lab.locator('.item__title').textContent(), /检验报告/)
    assert.equal((await lab.locator('[data-testid="record-hospital"]').textContent()).trim(), HOSPITAL)
    assert.match(await lab.locator('[data-testid="record-test"]').textContent(), /糖化血红蛋白\(HbA1c\)/)
    assert.equal((await lab.locator('[data-testid="record-result"]').textContent()).trim(), '5.9 %')
    assert.equal((await lab.locator('[data-testid="record-range"]').textContent()).trim(), '4.0-6.0')
    // Collected six days before the demo's today (in Jimo: 16 July 2026).
    assert.match(await lab.locator('[data-testid="record-date"]').textContent(), /2026年7月10日/)

    // 授权医院查看: a hospital is required first (in words), then 即墨区中医医院 for 24 h.
    const form = testid(citizen, 'health-grant-form')
    await form.waitFor()
    const grantStatus = testid(citizen, 'health-grant-status')
    await testid(citizen, 'health-grant-submit').click()
    await citizen.locator('[data-testid="health-grant-status"][data-error-code="health_org_missing"]').waitFor({ state: 'attached' })
    assert.match(await grantStatus.textContent(), /请选择医院/)
    await testid(citizen, 'health-grant-org').selectOption({ label: CONSENTED })
    const orgId = await testid(citizen, 'health-grant-org').inputValue()
    assert.equal(await testid(citizen, 'health-grant-duration').inputValue(), '', 'the server’s default (24 h) is preselected')
    await testid(citizen, 'health-grant-purpose').fill('复诊时查看检验结果')
    await testid(citizen, 'health-grant-submit').click()
    await citizen.locator('[data-testid="health-grant-status"][data-grant-id]').waitFor({ state: 'attached' })
    assert.match(await grantStatus.textContent(), new RegExp(`已授权${CONSENTED}查看您的健康档案，至 2026年7月17日`))
    const grantId = await grantStatus.getAttribute('data-grant-id')
    const grant = citizen.locator(`[data-testid="health-grant"][data-grant-id="${grantId}"]`)
    await grant.waitFor()
    assert.equal(await grant.getAttribute('data-org-id'), orgId)
    assert.equal((await grant.locator('[data-testid="health-grant-hospital"]').textContent()).trim(), CONSENTED)
    const ends = Date.parse(await grant.getAttribute('data-expires-at'))
    assert.ok(Math.abs(ends - (env.server.nowMs + DAY_MS)) <= 60000, `ends about 24 h on: ${new Date(ends).toISOString()}`)
    // 05:30 in Jimo now, so 05:30 tomorrow.
    assert.match(await grant.locator('[data-testid="health-grant-until"]').textContent(), /2026年7月17日 05:30/)
    assert.match(await grant.textContent(), /门诊病历、检验报告/)

    // Revoked in two steps: no live health consent is left.
    await grant.locator('[data-testid="health-grant-revoke"]').click()
    await grant.locator('[data-testid="health-grant-revoke-confirm"]').click()
    await testid(citizen, 'health-grants-empty').waitFor()
    assert.equal(await citizen.locator('[data-testid="health-grant"]').count(), 0)
    // 我的授权 lists it revoked.
    await testid(citizen, 'tab-consents').click()
    await citizen.locator(`[data-testid="grant"][data-grant-id="${grantId}"][data-state="revoked"]`).waitFor()
    await testid(citizen, 'tab-appointments').click()

    // The person selector: the child. Book tomorrow's first open slot at 即墨区人民医院.
    const person = testid(citizen, 'medical-person')
    await person.waitFor()
    assert.deepEqual(await person.locator('option').allTextContents(), ['本人', CHILD])
    await person.selectOption({ label: CHILD })
    const childId = await person.inputValue()
    await citizen.locator(`[data-testid="medical-person-view"][data-person="${childId}"]`).waitFor()
    assert.match(await testid(citizen, 'booking').locator('h3').textContent(), new RegExp(`为${CHILD}预约挂号`))
    assert.equal(await testid(citizen, 'health-grant-form').count(), 0, 'health consent is the citizen’s own')
    await testid(citizen, 'health-consent-self-only').waitFor()
    await testid(citizen, 'book-hospital').selectOption({ label: HOSPITAL })
    const day = testid(citizen, 'book-day')
    const days = await day.locator('option').evaluateAll((options) => options.map((o) => o.value))
    await day.selectOption(days[1])
    const row = citizen.locator('[data-testid="book-slot"]:not([data-remaining="0"])').first()
    await row.waitFor()
    await row.locator('[data-testid="book-slot-submit"]').click()
    const status = testid(citizen, 'book-status')
    await citizen.locator('[data-testid="book-status"][data-appointment-id]').waitFor({ state: 'attached' })
    assert.match(await status.textContent(), new RegExp(`已为${CHILD}挂号：${HOSPITAL}`))
    const appointmentId = await status.getAttribute('data-appointment-id')
    const card = citizen.locator(`[data-testid="appointment"][data-appointment-id="${appointmentId}"]`)
    await card.waitFor()
    assert.equal(await card.getAttribute('data-state'), 'booked')
    const fen = await card.locator('[data-testid="appointment-fee"]').getAttribute('data-fen')
    assert.ok(Number(fen) > 0, `a fee: ${fen}`)

    // The child has no health records.
    await testid(citizen, 'records-empty').waitFor()
    shared.page = citizen
    shared.child = { appointmentId, fen }

    // 本人: the child's appointment is not the citizen's. 本人 books too
    // (即墨区中医医院, tomorrow), and 本人's bill (费用) shows that fee.
    await person.selectOption({ label: '本人' })
    await citizen.locator('[data-testid="medical-person-view"][data-person="self"]').waitFor()
    await citizen.locator('[data-testid="appointments"][aria-busy="false"]').waitFor({ state: 'attached' })
    assert.equal(await citizen.locator(`[data-testid="appointment"][data-appointment-id="${appointmentId}"]`).count(), 0)
    await lab.waitFor()
    await testid(citizen, 'book-hospital').selectOption({ label: CONSENTED })
    await testid(citizen, 'book-day').selectOption(days[1])
    await citizen.locator('[data-testid="book-slot"]:not([data-remaining="0"])').first().locator('[data-testid="book-slot-submit"]').click()
    await citizen.locator('[data-testid="book-status"][data-appointment-id]').waitFor({ state: 'attached' })
    assert.match(await status.textContent(), new RegExp(`挂号成功：${CONSENTED}`))
    const ownId = await status.getAttribute('data-appointment-id')
    const ownCard = citizen.locator(`[data-testid="appointment"][data-appointment-id="${ownId}"]`)
    await ownCard.waitFor()
    const ownFen = await ownCard.locator('[data-testid="appointment-fee"]').getAttribute('data-fen')
    assert.ok(Number(ownFen) > 0, `a fee: ${ownFen}`)
    const posting = citizen.locator(`[data-testid="bill-posting"][data-appointment-id="${ownId}"]`)
    await posting.waitFor()
    assert.equal(await posting.getAttribute('data-kind'), 'registration_fee')
    assert.equal(await posting.getAttribute('data-fen'), ownFen)
    assert.equal((await posting.locator('[data-testid="bill-posting-kind"]').textContent()).trim(), '挂号费')
    assert.equal((await posting.locator('[data-testid="bill-posting-hospital"]').textContent()).trim(), CONSENTED)
    assert.match(await posting.locator('[data-testid="bill-posting-time"]').textContent(), /2026年7月16日 05:30/)
    const yuan = `¥${(Number(ownFen) / 100).toFixed(2)}`
    assert.equal((await posting.locator('[data-testid="bill-posting-amount"]').textContent()).trim(), yuan)
    // The citizen's only posting: the totals are that fee.
    assert.equal(await citizen.locator('[data-testid="bill-posting"]').count(), 1)
    assert.equal(await testid(citizen, 'bill-charged').getAttribute('data-fen'), ownFen)
    assert.equal(await testid(citizen, 'bill-refunded').getAttribute('data-fen'), '0')
    assert.equal(await testid(citizen, 'bill-owed').getAttribute('data-fen'), ownFen)
    assert.equal((await testid(citizen, 'bill-owed').textContent()).trim(), yuan)
    assert.match(await testid(citizen, 'bill-totals').textContent(), /已收.*已退.*应付/)
    // Back to the child: their appointment, not 本人's.
    await person.selectOption({ label: CHILD })
    await card.waitFor()
    await citizen.locator('[data-testid="appointments"][aria-busy="false"]').waitFor({ state: 'attached' })
    assert.equal(await ownCard.count(), 0)

    // axe-core on the tab (the child's view, then 本人's with the form), in Chinese and English.
    await citizen.clock.resume()
    const serious = async () => (await new AxeBuilder({ page: citizen }).analyze()).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)
    assert.deepEqual(await serious(), [])
    await person.selectOption({ label: '本人' })
    await testid(citizen, 'health-grant-form').waitFor()
    await lab.waitFor()
    await posting.waitFor()
    assert.deepEqual(await serious(), [])
    await testid(citizen, 'lang-switch').click()
    await citizen.locator('html[lang="en"]').waitFor({ state: 'attached' })
    await lab.waitFor()
    assert.match(await lab.locator('.item__title').textContent(), /Lab result/)
    assert.match(await testid(citizen, 'health-consent').locator('h3').textContent(), /Let a hospital read my health records/)
    await testid(citizen, 'health-grant-form').waitFor()
    await posting.waitFor()
    assert.match(await posting.locator('[data-testid="bill-posting-kind"]').textContent(), /Registration fee/)
    assert.match(await testid(citizen, 'bill-totals').textContent(), /Charged.*Refunded.*To pay/)
    assert.deepEqual(await serious(), [])
    await testid(citizen, 'medical-person').selectOption({ label: CHILD })
    await card.waitFor()
    assert.deepEqual(await serious(), [])

    // No health value in a URL, the console or the page's storage.
    const stored = await citizen.evaluate(async () => {
      const local = JSON.stringify({ ...localStorage })
      const idb = await new Promise((resolve) => {
        const open = indexedDB.open('citycode')
        open.onsuccess = () => {
          const all = open.result.transaction('state').objectStore('state').getAll()
          all.onsuccess = () => resolve(JSON.stringify(all.result))
        }
      })
      return local + idb
    })
    for (const value of HEALTH_VALUES) {
      assert.equal(urls.filter((url) => decodeURIComponent(url).includes(value)).length, 0, `${value} in no URL`)
      assert.equal(logs.filter((line) => line.includes(value)).length, 0, `${value} in no console line`)
      assert.ok(!stored.includes(value), `${value} in no storage`)
    }
  })

  test('the child’s bill shows the fee of the booking made for them', async () => {
    const citizen = shared.page
    assert.ok(citizen, 'the first test booked for the child')
    await testid(citizen, 'medical-person').selectOption({ label: CHILD })
    const posting = citizen.locator(`[data-testid="bill-posting"][data-appointment-id="${shared.child.appointmentId}"]`)
    await citizen.locator('[data-testid="bill"][aria-busy="false"]').waitFor({ state: 'attached' })
    assert.equal(await testid(citizen, 'bill-error').count(), 0, await testid(citizen, 'bill').textContent())
    await posting.waitFor()
    assert.equal(await posting.getAttribute('data-kind'), 'registration_fee')
    assert.equal(await posting.getAttribute('data-fen'), shared.child.fen)
    assert.equal(await testid(citizen, 'bill-owed').getAttribute('data-fen'), shared.child.fen)
  })

  test('a visit closed at the desk shows as a 门诊病历 with its lines, as text; the pick-up’s 药费 is on the bill', async () => {
    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    await loginOnPage(citizen)
    const fresh = async (previous) => {
      await testid(citizen, 'code-refresh').click()
      return currentCode(citizen, previous)
    }
    // At the kiosk: today's first slot by the code; at the desk: checked in
    // by a fresh code and closed with a summary of three lines (one looks
    // like markup) and a prescription; at the pharmacy: picked up.
    const kiosk = hospitalKey(env.server, '门诊楼 1')
    const desk = hospitalKey(env.server, '门诊楼 诊室1')
    const pharmacy = hospitalKey(env.server, '门诊楼 药房1')
    const { org_id: orgId } = await expectApi(env.server, 'GET', '/v1/terminal', kiosk, undefined, 200)
    const { slots } = await expectApi(env.server, 'GET', `/v1/medical/slots?org_id=${orgId}&day=2026-07-16`, kiosk, undefined, 200)
    const slot = slots.find((s) => s.remaining > 0)
    let code = await currentCode(citizen)
    const appointment = await expectApi(env.server, 'POST', '/v1/medical/registrations', kiosk, { qr: code.code, slot_id: slot.id }, 201)
    code = await fresh(code)
    const encounter = await expectApi(env.server, 'POST', '/v1/medical/check-ins', desk, { qr: code.code }, 201)
    const summary = '咳嗽三天，无发热。\n双肺呼吸音清。\n<b>多饮水</b>，三天后复诊。'
    const closed = await expectApi(env.server, 'POST', `/v1/medical/encounters/${encounter.id}/close`, desk,
      { summary, prescriptions: [{ items: [{ drug: '演示药品甲', quantity: 2, unit_price_fen: 1250 }] }] }, 200)
    const prescriptionId = closed.prescriptions[0].id
    code = await fresh(code)
    await expectApi(env.server, 'POST', '/v1/medical/dispensations', pharmacy, { qr: code.code, prescription_id: prescriptionId }, 201)

    await testid(citizen, 'tab-appointments').click()
    const visit = citizen.locator('[data-testid="record"][data-type="visit_summary"]')
    await visit.waitFor()
    assert.match(await visit.locator('.item__title').textContent(), /门诊病历/)
    assert.equal((await visit.locator('[data-testid="record-hospital"]').textContent()).trim(), HOSPITAL)
    assert.equal((await visit.locator('[data-testid="record-department"]').textContent()).trim(), slot.department.name)
    assert.equal((await visit.locator('[data-testid="record-clinician"]').textContent()).trim(), slot.clinician.name)
    assert.match(await visit.locator('[data-testid="record-date"]').textContent(), /2026年7月16日/)
    // The summary as text: its markup shown, not made; its line feeds kept on screen.
    const shown = visit.locator('[data-testid="record-summary"]')
    assert.equal(await shown.textContent(), summary)
    assert.equal(await shown.evaluate((dd) => dd.childElementCount), 0)
    assert.deepEqual((await shown.innerText()).split('\n'), summary.split('\n'))
    // Newest first: today's visit before last week's lab result.
    assert.deepEqual(await citizen.locator('[data-testid="record"]').evaluateAll((cards) => cards.map((c) => c.dataset.type)),
      ['visit_summary', 'lab_result'])

    // The bill: the registration fee and the medicines (2 × ¥12.50).
    const fee = citizen.locator(`[data-testid="bill-posting"][data-appointment-id="${appointment.id}"]`)
    await fee.waitFor()
    assert.equal(await fee.getAttribute('data-fen'), String(slot.fee_fen))
    const medicines = citizen.locator(`[data-testid="bill-posting"][data-prescription-id="${prescriptionId}"]`)
    assert.equal(await medicines.getAttribute('data-kind'), 'prescription')
    assert.equal((await medicines.locator('[data-testid="bill-posting-kind"]').textContent()).trim(), '药费')
    assert.equal((await medicines.locator('[data-testid="bill-posting-amount"]').textContent()).trim(), '¥25.00')
    assert.equal((await medicines.locator('[data-testid="bill-posting-hospital"]').textContent()).trim(), HOSPITAL)

    // Log out: the device ends (the demo citizen may hold 3, one the demo's own).
    await testid(citizen, 'logout').click()
    await testid(citizen, 'login-phone').waitFor()
  })

  test('a health consent longer than 7 days is refused in words on the 我的授权 tab', async () => {
    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    await loginOnPage(citizen)
    await testid(citizen, 'tab-consents').click()
    await testid(citizen, 'grant-form').waitFor()
    await testid(citizen, 'grant-org').selectOption({ label: CONSENTED })
    // The requesters list names types by code: the 门诊病历 box by its label.
    await citizen.locator('[data-testid="grant-types"] label', { hasText: '门诊病历' }).locator('input').check()
    await testid(citizen, 'grant-purpose').fill('复诊')
    await testid(citizen, 'grant-until').fill(new Date(env.server.nowMs + 30 * DAY_MS).toISOString().slice(0, 10))
    await testid(citizen, 'grant-submit').click()
    await citizen.locator('[data-testid="grant-status"][data-error-code="health_grant_too_long"]').waitFor({ state: 'attached' })
    assert.match(await testid(citizen, 'grant-status').textContent(), /健康档案授权最长 7 天/)
  })
})
