// The counter page's camera (acceptance line 3): chromium's fake camera is
// fed a y4m made from the citizen page's QR; a transit gate's counter page
// reads it and shows the verdict — valid, then replayed for the same code,
// and credential_revoked for a code of a device reported lost.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  DESKTOP_VIEWPORT, counterLogin, currentCode, fakeCameraArgs, launchChromium, loginOnPage, openPage,
  pngToY4m, screenshotQr, settledVerdict, startDemo, tempDir, testid
} from './support.mjs'

describe('counter page: codes read by the camera', { timeout: 120000 }, () => {
  let server, citizenBrowser, citizen, dir
  const cameras = []
  let gate = null // the gate page whose camera sees the first code
  const codes = {} // name → {code, t, n, y4m}

  before(async () => {
    server = await startDemo()
    citizenBrowser = await launchChromium()
    dir = tempDir()
    citizen = await openPage(citizenBrowser, server, '/', { clock: 'paused', deviceScaleFactor: 2 })
    await loginOnPage(citizen, '13900000002')
  })
  after(async () => {
    for (const browser of cameras) await browser.close()
    await citizenBrowser?.close()
    await server?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  // The page's code now, as the y4m file a camera will show.
  async function codeAsVideo (name, previous) {
    const code = await currentCode(citizen, previous)
    const png = await screenshotQr(citizen, join(dir, `${name}.png`))
    code.y4m = join(dir, `${name}.y4m`)
    pngToY4m(png, code.y4m)
    codes[name] = code
    return code
  }

  // A chromium whose camera shows the y4m, with the transit gate's counter
  // page logged in (a gate is unattended: no clerk signs in).
  async function gateWatching (y4m) {
    const browser = await launchChromium(fakeCameraArgs(y4m))
    cameras.push(browser)
    const page = await openPage(browser, server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(page, server.terminalKey('gate'), { staff: false })
    return page
  }

  async function cameraVerdict (page) {
    await testid(page, 'camera-start').click()
    return settledVerdict(page)
  }

  test('a code shown to the camera is valid', async () => {
    await codeAsVideo('first')
    await testid(citizen, 'code-refresh').click()
    await codeAsVideo('second', codes.first) // kept for the revoked device

    gate = await gateWatching(codes.first.y4m)
    assert.deepEqual(await cameraVerdict(gate), { state: 'valid', reason: 'valid' })
    assert.equal(await testid(gate, 'fare-category').getAttribute('data-category'), 'adult')
  })

  test('the same code again is replayed', async () => {
    assert.ok(gate, 'the first test left a gate page')
    await gate.reload() // a fresh scanner: it would otherwise pause on a code it just read
    assert.deepEqual(await cameraVerdict(gate), { state: 'refused', reason: 'replayed' })
  })

  test('a code of a device reported lost is credential_revoked', async () => {
    assert.ok(codes.second, 'the first test made a second code')
    await testid(citizen, 'tab-devices').click()
    await citizen.locator('[data-testid="device"][data-this-device="true"] [data-testid="lost-this-device"]').click()
    await testid(citizen, 'lost-this-device-confirm').click()
    await testid(citizen, 'lost-done').waitFor()

    const page = await gateWatching(codes.second.y4m)
    assert.deepEqual(await cameraVerdict(page), { state: 'refused', reason: 'credential_revoked' })
  })
})
