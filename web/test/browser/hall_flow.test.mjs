// The whole hall flow through the pages (acceptance line 4): the demo
// citizen shows codes on the citizen page; the hall's kiosk (clerk signed
// in) gives a ticket for 户口迁移; the hall's window 3号窗口 calls it, opens
// the case with a fresh code, sees the certificates and completes it; the
// citizen's access history then names the hall. Codes go into the counter
// page by its typed field (the camera is counter_camera.test.mjs's).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  DESKTOP_VIEWPORT, HALL_ORG, counterLogin, currentCode, loginOnPage, openPage, submitTyped, testid, withDemoAndBrowser
} from './support.mjs'

describe('the service hall through the pages', { timeout: 120000 }, () => {
  const env = withDemoAndBrowser()

  test('kiosk ticket, window call, case with the certificates, completed, in the citizen\'s history', async () => {
    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    await loginOnPage(citizen)
    const forTicket = await currentCode(citizen)

    // The kiosk: a ticket for 户口迁移 with the code.
    const kiosk = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(kiosk, env.server.terminalKey('kiosk'))
    await testid(kiosk, 'service-item').selectOption({ label: '户口迁移' })
    assert.deepEqual(await submitTyped(kiosk, forTicket.code), { state: 'valid', reason: 'valid' })
    await testid(kiosk, 'ticket').waitFor()
    const number = (await testid(kiosk, 'ticket-number').textContent()).trim()
    assert.match(number, /\S/, 'a ticket number is shown')
    assert.equal((await testid(kiosk, 'ticket-item').textContent()).trim(), '户口迁移')

    // The window: call the next ticket (ours), open the case with a fresh code.
    const window = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(window, env.server.terminalKey('window'))
    assert.equal((await testid(window, 'terminal-window').textContent()).trim(), '3号窗口')
    await testid(window, 'call-next').click()
    await window.locator(`[data-testid="current-ticket"]:not([data-ticket-id=""])`).waitFor()
    assert.equal((await testid(window, 'current-ticket').textContent()).trim(), number)

    await testid(citizen, 'code-refresh').click()
    const forCase = await currentCode(citizen, forTicket)
    assert.deepEqual(await submitTyped(window, forCase.code), { state: 'valid', reason: 'valid' })
    const caseCard = testid(window, 'case')
    await caseCard.waitFor()
    assert.equal(await caseCard.getAttribute('data-state'), 'open')
    const served = await window.locator('[data-testid="case-served"] > li').evaluateAll((items) => items.map((li) => li.dataset.type).sort())
    assert.deepEqual(served, ['household_register', 'resident_id_card'])
    await testid(window, 'case-missing-none').waitFor()

    await testid(window, 'complete-case').click()
    await window.locator('[data-testid="case"][data-state="done"]').waitFor()

    // The citizen's access history lists the fetch, by the hall's name.
    await testid(citizen, 'tab-history').click()
    const fetched = citizen.locator('[data-testid="history-entry"][data-action="certificate.fetch"]').filter({ hasText: HALL_ORG })
    await fetched.first().waitFor()
    assert.equal(await fetched.count(), 1)
  })
})
