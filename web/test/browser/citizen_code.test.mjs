// The citizen page's live code (acceptance lines 1 and 2): a new citizen
// registers and sees a code that third-party decoders read and both the
// online and the offline verifier accept; 31 s later (both clocks moved) a
// new one; and with the network cut, a reload still shows the page and a
// fresh code.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  advanceBoth, currentCode, decodeWithTools, downloadLists, launchChromium, openPage,
  registerOnPage, screenshotQr, startDemo, tempDir, testid, verifyOffline, waitForPage
} from './support.mjs'

describe('citizen page: the live code', { timeout: 120000 }, () => {
  let server, browser, page, dir, lists
  let shown = null // the last code the page showed

  before(async () => {
    server = await startDemo()
    browser = await launchChromium()
    dir = tempDir()
  })
  after(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  // The decoders read exactly the page's code; online (a transit gate) and
  // offline (the lists this test downloaded) it is valid at the server's time.
  async function assertReadableAndValid (code, name) {
    const png = await screenshotQr(page, join(dir, `${name}.png`))
    const decoded = await decodeWithTools(png)
    assert.equal(decoded.zxing, code.code, 'ZXingReader reads the page\'s code')
    assert.equal(decoded.zbar, code.code, 'zbarimg reads the page\'s code')
    const online = await server.verify(code.code)
    assert.equal(online.status, 200)
    assert.equal(online.body.reason, 'valid')
    assert.equal(online.body.valid, true)
    const offline = await verifyOffline(lists, code.code, server.nowSeconds)
    assert.equal(offline.result.reason, 'valid')
    assert.equal(offline.exitCode, 0)
  }

  test('a new citizen registers, enrols and sees a code that decoders read and verifiers accept; 31 s later a new valid one', async () => {
    page = await openPage(browser, server, '/', { clock: 'paused', deviceScaleFactor: 2 })
    await registerOnPage(page)
    lists = await downloadLists(server, dir)

    const first = await currentCode(page)
    assert.equal(first.t, server.nowSeconds, 'the code is made at the server\'s time')
    await assertReadableAndValid(first, 'first')

    await advanceBoth(server, page, 31)
    const second = await currentCode(page, first)
    assert.notEqual(second.code, first.code)
    assert.ok(second.t >= first.t + 30, `t moved: ${first.t} → ${second.t}`)
    assert.ok(second.n > first.n, `n moved: ${first.n} → ${second.n}`)
    await assertReadableAndValid(second, 'second')
    shown = second
  })

  test('offline, a reload still shows the page and a fresh code, which verifies', async () => {
    assert.ok(shown, 'the first test left a page with a code')
    // The service worker controls the page and holds the shell (cache.addAll
    // stores all of it or nothing) before the network goes.
    await waitForPage(page, async () => {
      if (!navigator.serviceWorker.controller) return false
      const names = await caches.keys()
      const name = names.find((key) => key.startsWith('citycode-shell-'))
      return Boolean(name && await (await caches.open(name)).match('/'))
    })
    await page.context().setOffline(true)
    try {
      const response = await page.reload()
      assert.ok(response?.fromServiceWorker(), 'the reloaded page came from the service worker')
      const fresh = await currentCode(page)
      assert.notEqual(fresh.code, shown.code)
      assert.ok(fresh.n > shown.n, `a code made after the reload: n ${shown.n} → ${fresh.n}`)
      await testid(page, 'offline-indicator').waitFor()
      assert.equal(await page.evaluate(() => navigator.onLine), false)

      const online = await server.verify(fresh.code)
      assert.equal(online.body.reason, 'valid')
      assert.equal(online.body.valid, true)
    } finally {
      await page.context().setOffline(false)
    }
  })
})
