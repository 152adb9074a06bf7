// The medical scene through the pages: the 即墨区人民医院 kiosk (门诊楼 1,
// clerk signed in) lists today's open slots, registers the demo citizen
// with a code typed into its field and shows the appointment; the same
// clinician's session again is refused in words (already_booked); the
// citizen's page lists the appointment and cancels it (two-step), which
// frees the place; a used code is refused as replayed. Then the citizen books
// on the page: hospital and day (tomorrow) chosen, a slot booked, listed with
// the hospital's name; another slot of the same clinician's session is
// refused in words, in Chinese and in English (already_booked). The demo clock is 05:30 in Jimo, so
// today's 08:00-12:00 slots are open.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { AxeBuilder } from '@axe-core/playwright'
import {
  DESKTOP_VIEWPORT, counterLogin, currentCode, loginOnPage, openPage, registerOnPage, submitTyped, testid, withDemoAndBrowser
} from './support.mjs'

describe('hospital registration through the pages', { timeout: 120000 }, () => {
  const env = withDemoAndBrowser()

  test('kiosk registers by the code, the citizen sees the appointment and cancels it', async () => {
    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    await loginOnPage(citizen)
    const first = await currentCode(citizen)

    // The kiosk: the terminal of the hospital, a clerk, today's slots.
    const kiosk = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(kiosk, env.server.terminalKey('hospital'))
    assert.equal((await testid(kiosk, 'header-org').textContent()).trim(), '即墨区人民医院')
    await testid(kiosk, 'step-medical-kiosk').waitFor({ state: 'attached' })
    const slot = testid(kiosk, 'medical-slot')
    await slot.waitFor()
    const slotId = await slot.inputValue()
    assert.match(slotId, /^slot_/)
    const optionText = await kiosk.locator(`[data-testid="medical-slot"] option[value="${slotId}"]`).textContent()
    assert.match(optionText, /^08:00 · .+ · .+ · ¥\d+\.\d{2} · 余 5 个$/, optionText)

    assert.deepEqual(await submitTyped(kiosk, first.code), { state: 'valid', reason: 'valid' })
    const shown = kiosk.locator('[data-testid="kiosk-appointment"]:not([hidden])')
    await shown.waitFor()
    assert.equal(await shown.getAttribute('data-slot-id'), slotId)
    assert.equal(await shown.getAttribute('data-state'), 'booked')
    const appointmentId = await shown.getAttribute('data-appointment-id')
    const department = (await shown.locator('[data-testid="appointment-department"]').textContent()).trim()
    const clinician = (await shown.locator('[data-testid="appointment-clinician"]').textContent()).trim()
    const fee = (await shown.locator('[data-testid="appointment-fee"]').textContent()).trim()
    assert.ok(optionText.includes(department), `${department} in ${optionText}`)
    assert.ok(optionText.includes(clinician.split(' · ')[0]), `${clinician} in ${optionText}`)
    assert.ok(optionText.includes(fee), `${fee} in ${optionText}`)
    assert.match(await shown.locator('[data-testid="appointment-time"]').textContent(), /08:00/)
    // The slot's places left drop by one.
    await kiosk.locator(`[data-testid="medical-slot"] option[value="${slotId}"][data-remaining="4"]`).waitFor({ state: 'attached' })

    // The same session again (a fresh code): refused, in words, no appointment shown.
    await testid(citizen, 'code-refresh').click()
    const second = await currentCode(citizen, first)
    assert.deepEqual(await submitTyped(kiosk, second.code), { state: 'refused', reason: 'already_booked' })
    assert.match(await testid(kiosk, 'verdict').textContent(), /已挂过/)
    assert.equal(await testid(kiosk, 'kiosk-appointment').isHidden(), true)

    // The citizen's page: the appointment listed, then cancelled (two steps).
    await testid(citizen, 'tab-appointments').click()
    const card = citizen.locator(`[data-testid="appointment"][data-appointment-id="${appointmentId}"]`)
    await card.waitFor()
    assert.equal(await card.getAttribute('data-state'), 'booked')
    assert.equal((await card.locator('[data-testid="appointment-department"]').textContent()).trim(), department)
    assert.equal((await card.locator('[data-testid="appointment-fee"]').textContent()).trim(), fee)
    await card.locator('[data-testid="appointment-cancel"]').click()
    await card.locator('[data-testid="appointment-cancel-confirm"]').click()
    const cancelled = citizen.locator(`[data-testid="appointment"][data-appointment-id="${appointmentId}"][data-state="cancelled"]`)
    await cancelled.waitFor()
    assert.equal(await cancelled.locator('[data-testid="appointment-cancel"]').count(), 0, 'no cancel on a cancelled appointment')

    // The place is free again at the kiosk; the first code, used, is refused as such.
    await testid(kiosk, 'slots-refresh').click()
    await kiosk.locator(`[data-testid="medical-slot"] option[value="${slotId}"][data-remaining="5"]`).waitFor({ state: 'attached' })
    assert.deepEqual(await submitTyped(kiosk, first.code), { state: 'refused', reason: 'replayed' })
    assert.match(await testid(kiosk, 'verdict').textContent(), /已使用|已用/)
  })

  test('the citizen books a slot on the page, sees it with the hospital, and a second one for the session is refused', async () => {
    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    await loginOnPage(citizen)
    // The slots of the day shown first answer only after tomorrow's: a late
    // answer must not replace the list of the day chosen since.
    let chosenDay = null
    const held = []
    await citizen.route('**/v1/medical/slots?*', (route) => {
      if (new URL(route.request().url()).searchParams.get('day') === chosenDay) return route.continue()
      held.push(route)
    })
    await testid(citizen, 'tab-appointments').click()
    const hospital = testid(citizen, 'book-hospital')
    await hospital.waitFor()
    await hospital.selectOption({ label: '即墨区人民医院' })
    const day = testid(citizen, 'book-day')
    const days = await day.locator('option').evaluateAll((options) => options.map((o) => o.value))
    assert.equal(days.length, 8, 'today and the next 7 days')
    chosenDay = days[1] // tomorrow
    await day.selectOption(chosenDay)
    const rows = citizen.locator('[data-testid="book-slot"]')
    await rows.first().waitFor()
    assert.ok(held.length > 0, 'the earlier day\'s slots were asked for')
    await Promise.all(held.map(async (route) => {
      await route.continue()
      await (await route.request().response())?.finished()
    }))
    await citizen.unroute('**/v1/medical/slots?*')
    const slots = await rows.evaluateAll((lis) => lis.map((li) => ({
      id: li.dataset.slotId, remaining: Number(li.dataset.remaining), text: li.querySelector('[data-testid="book-slot-text"]').textContent
    })))
    const slot = slots.find((s) => s.remaining > 0)
    assert.ok(slot, 'a bookable slot tomorrow')
    assert.match(slot.text, /^08:00–08:30 · .+ · .+ · ¥\d+\.\d{2} · 余 \d+ 个$/, slot.text)
    const [, department, clinician] = slot.text.split(' · ')
    // Another slot of the same clinician's session (the same department and clinician).
    const sameSession = slots.find((s) => s.id !== slot.id && s.remaining > 0 && s.text.split(' · ')[1] === department && s.text.split(' · ')[2] === clinician)
    assert.ok(sameSession, `another slot of ${clinician}'s session`)

    await citizen.locator(`[data-testid="book-slot"][data-slot-id="${slot.id}"] [data-testid="book-slot-submit"]`).click()
    const status = testid(citizen, 'book-status')
    await citizen.locator('[data-testid="book-status"][data-appointment-id]').waitFor({ state: 'attached' })
    assert.match(await status.textContent(), /挂号成功：即墨区人民医院/)
    const appointmentId = await status.getAttribute('data-appointment-id')
    const card = citizen.locator(`[data-testid="appointment"][data-appointment-id="${appointmentId}"]`)
    await card.waitFor()
    assert.equal(await card.getAttribute('data-state'), 'booked')
    assert.equal(await card.getAttribute('data-slot-id'), slot.id)
    assert.equal((await card.locator('[data-testid="appointment-hospital"]').textContent()).trim(), '即墨区人民医院')
    assert.equal((await card.locator('[data-testid="appointment-department"]').textContent()).trim(), department)
    assert.match(await card.locator('[data-testid="appointment-time"]').textContent(), /08:00/)
    // The slot's places left drop by one.
    await citizen.locator(`[data-testid="book-slot"][data-slot-id="${slot.id}"][data-remaining="${slot.remaining - 1}"]`).waitFor({ state: 'attached' })

    // The same session again: refused in words (in Chinese, then in English), nothing booked.
    await citizen.locator(`[data-testid="book-slot"][data-slot-id="${sameSession.id}"] [data-testid="book-slot-submit"]`).click()
    await citizen.locator('[data-testid="book-status"][data-error-code="already_booked"]').waitFor({ state: 'attached' })
    assert.match(await status.textContent(), /已挂过/)
    await testid(citizen, 'lang-switch').click()
    await citizen.locator('html[lang="en"]').waitFor({ state: 'attached' })
    // The tab re-renders in English, keeping the hospital and day chosen.
    assert.equal(await testid(citizen, 'book-day').inputValue(), days[1])
    await citizen.locator(`[data-testid="book-slot"][data-slot-id="${sameSession.id}"] [data-testid="book-slot-submit"]`).click()
    await citizen.locator('[data-testid="book-status"][data-error-code="already_booked"]').waitFor({ state: 'attached' })
    assert.match(await status.textContent(), /Already booked/)
    assert.equal(await citizen.locator('[data-testid="appointment"][data-state="booked"]').count(), 1)
    await citizen.locator(`[data-testid="book-slot"][data-slot-id="${sameSession.id}"][data-remaining="${sameSession.remaining}"]`).waitFor({ state: 'attached' })
  })
  test('the hospital stops a session the citizen booked on the page: the tab shows 停诊 and the notice with the refund', async () => {
    // A new citizen (the demo citizen's devices are used by the tests above).
    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    await registerOnPage(citizen)
    await testid(citizen, 'tab-appointments').click()
    // No no-shows yet: the booking status line counts none of the limit.
    const statusLine = testid(citizen, 'booking-status')
    await statusLine.waitFor()
    assert.equal(await statusLine.getAttribute('data-no-shows'), '0')
    assert.equal(await statusLine.getAttribute('data-blocked-until'), '')
    assert.match(await statusLine.textContent(), /爽约 0 次/)

    const hospital = testid(citizen, 'book-hospital')
    await hospital.waitFor()
    await hospital.selectOption({ label: '即墨区人民医院' })
    const orgId = await hospital.inputValue()
    const day = testid(citizen, 'book-day')
    const days = await day.locator('option').evaluateAll((options) => options.map((o) => o.value))
    await day.selectOption(days[2])
    const row = citizen.locator('[data-testid="book-slot"]:not([data-remaining="0"])').first()
    await row.waitFor()
    const slotId = await row.getAttribute('data-slot-id')
    await row.locator('[data-testid="book-slot-submit"]').click()
    await citizen.locator('[data-testid="book-status"][data-appointment-id]').waitFor({ state: 'attached' })
    const appointmentId = await testid(citizen, 'book-status').getAttribute('data-appointment-id')
    const card = citizen.locator(`[data-testid="appointment"][data-appointment-id="${appointmentId}"]`)
    await card.waitFor()
    assert.equal(await card.getAttribute('data-state'), 'booked')
    const fen = await card.locator('[data-testid="appointment-fee"]').getAttribute('data-fen')

    // The platform's admin stops the slot's session through the API.
    const slots = await env.server.api('GET', `/v1/medical/slots?org_id=${encodeURIComponent(orgId)}&day=${days[2]}`, { key: env.server.terminalKey('hospital') })
    assert.equal(slots.status, 200, slots.text)
    const scheduleId = slots.body.slots.find((s) => s.id === slotId)?.schedule_id
    assert.ok(scheduleId, `the schedule of ${slotId}`)
    const stop = await env.server.api('POST', `/v1/orgs/${encodeURIComponent(orgId)}/medical/schedules/${encodeURIComponent(scheduleId)}/stop`,
      { key: env.server.keys.admin_key, body: { reason: '医生外出会诊' } })
    assert.equal(stop.status, 200, stop.text)
    assert.equal(String(stop.body.refund_fen), fen)

    await testid(citizen, 'appointments-refresh').click()
    const stopped = citizen.locator(`[data-testid="appointment"][data-appointment-id="${appointmentId}"][data-state="stopped"]`)
    await stopped.waitFor()
    assert.equal((await stopped.locator('[data-testid="appointment-state"]').textContent()).trim(), '停诊')
    assert.equal((await stopped.locator('[data-testid="appointment-stop-reason"]').textContent()).trim(), '医生外出会诊')
    const refund = stopped.locator('[data-testid="appointment-refund"]')
    assert.equal(await refund.getAttribute('data-fen'), fen)
    assert.match(await refund.textContent(), /应退 ¥\d+\.\d{2}/)
    assert.equal(await stopped.locator('[data-testid="appointment-cancel"]').count(), 0)
    const notice = citizen.locator(`[data-testid="notice"][data-appointment-id="${appointmentId}"]`)
    await notice.waitFor()
    assert.match(await notice.textContent(), /即墨区人民医院.*停诊：医生外出会诊。应退挂号费 ¥\d+\.\d{2}/)
    assert.match(await testid(citizen, 'notices').textContent(), /停诊通知/)

    // The stopped session's slots are no longer offered (the env.server lists open slots only).
    await day.selectOption(days[1])
    await day.selectOption(days[2])
    await citizen.locator('[data-testid="book-slots"][aria-busy="false"]').waitFor({ state: 'attached' })
    assert.equal(await citizen.locator(`[data-testid="book-slot"][data-slot-id="${slotId}"]`).count(), 0)

    // axe-core on the tab with the stopped appointment and the notice (its timers need the clock running).
    await citizen.clock.resume()
    const serious = async () => (await new AxeBuilder({ page: citizen }).analyze()).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)
    assert.deepEqual(await serious(), [])

    // In English too.
    await testid(citizen, 'lang-switch').click()
    await citizen.locator('html[lang="en"]').waitFor({ state: 'attached' })
    const stoppedEn = citizen.locator(`[data-testid="appointment"][data-appointment-id="${appointmentId}"][data-state="stopped"]`)
    await stoppedEn.waitFor()
    assert.match(await stoppedEn.locator('[data-testid="appointment-state"]').textContent(), /Stopped by the hospital/)
    assert.match(await stoppedEn.locator('[data-testid="appointment-refund"]').textContent(), /refund ¥\d+\.\d{2}/)
    assert.match(await citizen.locator(`[data-testid="notice"][data-appointment-id="${appointmentId}"]`).textContent(), /Fee to refund: ¥/)
    assert.deepEqual(await serious(), [])
  })
})
