// The counter page knows its terminal from the server: organisation and
// site in the header, a hall terminal's role (kiosk with the hall's items by
// name, or the window by its name), and a clerk's sign-in before scanning
// where someone works the counter (hall, hotel) but not at a transit gate;
// a staff session the server ended brings the sign-in back.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { CLERK, DEMO_PASSWORD, DESKTOP_VIEWPORT, HALL_ORG, counterLogin, openPage, testid, withDemoAndBrowser
} from './support.mjs'

describe('counter page: terminal and staff', { timeout: 120000 }, () => {
  const env = withDemoAndBrowser()

  async function enterTerminal (role) {
    const page = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await testid(page, 'terminal-key').fill(env.server.terminalKey(role))
    await testid(page, 'terminal-submit').click()
    return page
  }

  test('the hall\'s kiosk: header names organisation and site, the clerk signs in, the items offered by name', async () => {
    const page = await enterTerminal('kiosk')
    await testid(page, 'staff-form').waitFor()
    assert.equal(await testid(page, 'code-form').count(), 0, 'no scanning before the clerk signs in')
    assert.equal(await testid(page, 'header-org').textContent(), HALL_ORG)
    assert.equal(await testid(page, 'header-site').textContent(), '区政务服务大厅')

    await testid(page, 'staff-login').fill(CLERK)
    await testid(page, 'staff-password').fill('not-the-password')
    await testid(page, 'staff-submit').click()
    await page.locator('[data-testid="staff-status"][data-error-code="staff_refused"]').waitFor()

    await testid(page, 'staff-password').fill(DEMO_PASSWORD)
    await testid(page, 'staff-submit').click()
    await testid(page, 'step-gov-kiosk').waitFor({ state: 'attached' })
    assert.equal(await testid(page, 'hall-role').count(), 0, 'no kiosk/window picker: the env.server says')
    await page.locator('[data-testid="service-item"] option').first().waitFor({ state: 'attached' })
    assert.deepEqual(await page.locator('[data-testid="service-item"] option').allTextContents(), ['户口迁移', '驾驶证期满换证'])
    // The item is chosen first, so it stands above the reader (also on a phone).
    const itemBeforeReader = await page.evaluate(() => {
      const item = document.querySelector('[data-testid="service-item"]')
      const reader = document.querySelector('[data-testid="code-form"]')
      return Boolean(item.compareDocumentPosition(reader) & Node.DOCUMENT_POSITION_FOLLOWING)
    })
    assert.ok(itemBeforeReader, 'the service item precedes the code reader')
  })

  test('the hall\'s window shows its name', async () => {
    const page = await enterTerminal('window')
    await testid(page, 'staff-form').waitFor()
    await counterLogin(page, env.server.terminalKey('window'), { terminal: false })
    await testid(page, 'step-gov-window').waitFor()
    assert.equal((await testid(page, 'terminal-window').textContent()).trim(), '3号窗口')
  })

  test('a hotel front desk needs the clerk; a transit gate scans without one', async () => {
    const hotel = await enterTerminal('hotel')
    await testid(hotel, 'staff-form').waitFor()
    assert.equal(await testid(hotel, 'code-form').count(), 0)

    const gate = await enterTerminal('gate')
    await testid(gate, 'code-form').waitFor()
    assert.equal(await testid(gate, 'step-transit-gate').count(), 1)
    assert.equal(await testid(gate, 'staff-form').count(), 0)
    assert.equal(await testid(gate, 'staff-sign-out').count(), 0)
    assert.equal(await testid(gate, 'header-org').textContent(), '即墨公交')
  })

  test('a staff session the env.server ended: the next call shows the sign-in again, the token dropped', async () => {
    const page = await enterTerminal('kiosk')
    await counterLogin(page, null, { terminal: false })
    // The items are there, so the code goes to the env.server (no local refusal).
    await page.locator('[data-testid="service-item"] option').first().waitFor({ state: 'attached' })
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('citycode.staffSession')).token)
    const ended = await env.server.api('DELETE', '/v1/terminal/staff-sessions/current',
      { key: env.server.terminalKey('kiosk'), headers: { 'X-Staff-Session': token } })
    assert.equal(ended.status, 200)

    await testid(page, 'code-input').fill('CC1:ANY')
    await testid(page, 'code-input').press('Enter')
    await page.locator('[data-testid="staff-status"][data-error-code="staff_session_ended"]').waitFor()
    assert.equal(await page.evaluate(() => sessionStorage.getItem('citycode.staffSession')), null)
  })
})
