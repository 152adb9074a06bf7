// Shared helpers of the browser acceptance tests: a demo server per test
// file (its own temp dir, a free port, a manual clock), Debian's chromium
// through playwright-core, and the page steps several tests take.
// No sleeps: every wait is on a condition (a locator, a page state) or on
// the manual clocks, which only move when a test moves them.
import { after, before } from 'node:test'
import { spawn, execFile } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { chromium } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'
import { PNG } from 'pngjs'

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = resolve(WEB, process.env.CITYCODE_BIN ?? '../build/src/cli/citycode')
export const SCREENSHOTS = resolve(WEB, process.env.CITYCODE_SCREENSHOTS ?? '../build/screenshots')
export const RESULTS = resolve(WEB, process.env.CITYCODE_WEB_RESULTS ?? '../build/web-results.json')
// The pages the demo serves: the binary's checkout's web/dist unless set
// (CITYCODE_WEB_DIR=dist serves this checkout's, e.g. in a git worktree).
export const WEB_DIR = process.env.CITYCODE_WEB_DIR ? resolve(WEB, process.env.CITYCODE_WEB_DIR) : null

export const DEMO_START = '2026-07-15T21:30:00Z'
export const DEMO_PASSWORD = 'citycode-demo' // every demo citizen's and clerk's
export const DEMO_PHONE = '13900000001' // verified, with certificates in the vault
export const CLERK = 'clerk'
export const HALL_ORG = '即墨区政务服务中心'

// The demo terminals the tests use, by organisation and terminal name.
export const TERMINALS = {
  kiosk: ['即墨区政务服务中心', '区政务服务大厅 1'],
  window: ['即墨区政务服务中心', '区政务服务大厅 3号窗口'],
  gate: ['即墨公交', '1路 1'],
  hotel: ['即墨古城酒店', '前台 1'],
  hospital: ['即墨区人民医院', '门诊楼 1'] // its registration kiosk (挂号)
}

const run = promisify(execFile)

// ---------------------------------------------------------------------------
// The demo server

// Starts `citycode demo` in a fresh temp dir on a free port (port 0: the
// server picks; its address is read from the first lines it prints) with
// the manual clock at DEMO_START. Keys come from DIR/demo.json.
export async function startDemo () {
  const dir = mkdtempSync(join(tmpdir(), 'citycode-browser-'))
  const args = ['demo', '--dir', dir, '--listen', '127.0.0.1:0', '--manual-clock', DEMO_START]
  if (WEB_DIR) {
    // Pages other than the binary's own checkout's (a worktree's): a
    // configuration naming them, the audit checkpoints kept in the temp dir
    // as they are without one.
    writeFileSync(join(dir, 'citycode.toml'), `[server]\nweb_dir = ${JSON.stringify(WEB_DIR)}\n`)
    args.push('--config', join(dir, 'citycode.toml'), '--checkpoints', join(dir, 'citycode.audit-checkpoints.jsonl'))
  }
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000) })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  // The demo keeps printing (a live code every 30 s): read every line, so
  // its pipe never fills.
  const url = await new Promise((resolve, reject) => {
    let base = null
    createInterface({ input: child.stdout }).on('line', (line) => {
      base ??= /Citizen page (http:\/\/127\.0\.0\.1:\d+)\//.exec(line)?.[1] ?? null
      if (base && line.includes('All keys')) resolve(base)
    })
    exited.then((code) => reject(new Error(`citycode demo exited (${code}) before it was ready: ${stderr}`)))
  })
  const keys = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'))
  let nowMs = Date.parse(DEMO_START)

  const server = {
    url,
    dir,
    keys,
    get nowMs () { return nowMs },
    get nowSeconds () { return Math.floor(nowMs / 1000) },
    terminalKey (role) {
      const [org, name] = TERMINALS[role]
      const found = keys.terminals.find((t) => t.org === org && t.name === name)
      if (!found) throw new Error(`no demo terminal ${org} ${name}`)
      return found.api_key
    },
    // One API call: {status, body} (body parsed when JSON).
    async api (method, path, { key, body, headers = {} } = {}) {
      const response = await fetch(url + path, {
        method,
        headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined
      })
      const text = await response.text()
      let parsed = text
      try { parsed = JSON.parse(text) } catch { /* not JSON (a list, a PEM) */ }
      return { status: response.status, body: parsed, text }
    },
    // Moves the server's manual clock (the page's is moved by the test).
    async advance (seconds) {
      const answer = await server.api('POST', '/v1/demo/clock', { key: keys.admin_key, body: { advance_seconds: seconds } })
      if (answer.status !== 200) throw new Error(`clock: ${answer.status} ${answer.text}`)
      nowMs = Date.parse(answer.body.now)
      return nowMs
    },
    // POST /v1/verify as a terminal (the transit gate by default).
    verify (code, role = 'gate') {
      return server.api('POST', '/v1/verify', { key: server.terminalKey(role), body: { code } })
    },
    async stop () {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return server
}

// The signed lists an offline gate keeps, downloaded into dir.
export async function downloadLists (server, dir) {
  const files = { trust: 'trust.jws', revocation: 'revocation.jws', 'root.pem': 'root.pem' }
  const paths = {}
  for (const [name, file] of Object.entries(files)) {
    const answer = await server.api('GET', `/v1/lists/${name}`)
    if (answer.status !== 200) throw new Error(`GET /v1/lists/${name}: ${answer.status}`)
    paths[name] = join(dir, file)
    writeFileSync(paths[name], answer.text)
  }
  return paths
}

// `citycode code verify` offline as a transit gate at unix time `at`:
// {exitCode, result} (the one JSON line it prints).
export async function verifyOffline (lists, code, at) {
  const args = ['code', 'verify', '--trust', lists.trust, '--root', lists['root.pem'],
    '--revoked', lists.revocation, '--scene', 'transit', '--at', String(at), code]
  try {
    const { stdout } = await run(BIN, args)
    return { exitCode: 0, result: JSON.parse(stdout.trim().split('\n').at(-1)) }
  } catch (failure) {
    if (typeof failure.code !== 'number') throw failure
    return { exitCode: failure.code, result: JSON.parse(failure.stdout.trim().split('\n').at(-1)) }
  }
}

// ---------------------------------------------------------------------------
// Chromium

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

// Debian's chromium, headless (playwright-core never downloads a browser).
export function launchChromium (extraArgs = []) {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] })
}

// The flags that make chromium's camera a y4m file (and grant it).
export function fakeCameraArgs (y4mPath) {
  return ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4mPath}`]
}

export const PHONE_VIEWPORT = { width: 390, height: 844 }
export const DESKTOP_VIEWPORT = { width: 1280, height: 800 }

// A fresh context and page, its clock at the server's manual clock:
//   clock 'paused': the page's timers and time move only when the test says
//     (advanceBoth), as the server's;
//   clock 'fixed': the time stays at the server's but timers run (for what
//     needs them, as axe-core does), so the page's codes stay of the
//     server's present however long the test takes;
//   no clock: the page runs on real time (the server's Date headers give it
//     the offset).
export async function openPage (browser, server, path, { viewport = PHONE_VIEWPORT, deviceScaleFactor = 1, clock = null } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor, locale: 'zh-CN' })
  context.setDefaultTimeout(15000) // a condition not met by then is a failure
  const page = await context.newPage()
  if (clock === 'paused') {
    // Installed a second early, then paused exactly at the server's time.
    await page.clock.install({ time: server.nowMs - 1000 })
    await page.clock.pauseAt(server.nowMs)
  } else if (clock === 'fixed') {
    await page.clock.setFixedTime(server.nowMs)
  }
  await page.goto(server.url + path)
  return page
}

// Moves both clocks: the server's first, so no code is ever from its future.
export async function advanceBoth (server, page, seconds) {
  await server.advance(seconds)
  await page.clock.runFor(seconds * 1000)
}

// Waits until fn(arg) is truthy in the page (polled on chromium's own
// timers, which the page's fake clock does not touch), and returns it.
export async function waitForPage (page, fn, arg, timeout = 20000) {
  const handle = await page.waitForFunction(fn, arg, { polling: 100, timeout })
  return handle.jsonValue()
}

const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`)
export { byTestId as testid }

// ---------------------------------------------------------------------------
// The citizen page

// A phone no demo citizen has (137 + 8 digits from the time and chance).
export function newPhone () {
  return `137${String(Date.now() % 1e5).padStart(5, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`
}

// A well-formed ID number (GB 11643 check character) of a Jimo adult.
export function newIdNumber () {
  const body = `370282${1980 + Math.floor(Math.random() * 20)}0${1 + Math.floor(Math.random() * 9)}1${Math.floor(Math.random() * 10)}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = weights.reduce((acc, w, i) => acc + w * Number(body[i]), 0)
  return body + '10X98765432'[sum % 11]
}

// The current code on the code view, once one is drawn (and, with `after`,
// once it is a newer one than that): {code, t, n}.
export async function currentCode (page, after = null) {
  return waitForPage(page, (previous) => {
    const qr = document.querySelector('[data-testid="code-qr"]')
    if (!qr?.dataset.code || qr.hidden) return null
    if (previous && qr.dataset.code === previous) return null
    return { code: qr.dataset.code, t: Number(qr.dataset.t), n: Number(qr.dataset.n) }
  }, after?.code ?? null)
}

// Registration on the page: the form, the demo phone inbox's code, the
// online identity by the demo provider; ends on the code view.
export async function registerOnPage (page, { name = '测试市民', phone = newPhone(), idNumber = newIdNumber(), password = 'test-password-1' } = {}) {
  await byTestId(page, 'go-register').click()
  await byTestId(page, 'reg-name').fill(name)
  await byTestId(page, 'reg-id-number').fill(idNumber)
  await byTestId(page, 'reg-phone').fill(phone)
  await byTestId(page, 'reg-password').fill(password)
  await byTestId(page, 'reg-submit').click()
  await byTestId(page, 'demo-inbox').click()
  // The inbox fills the code field once its text is shown.
  await byTestId(page, 'demo-inbox-text').filter({ hasText: /\d{6}/ }).waitFor()
  await byTestId(page, 'confirm-submit').click()
  await byTestId(page, 'identity-submit').click()
  await byTestId(page, 'identity-done').waitFor()
  return { phone, password }
}

// Log in on the citizen page (a device is enrolled on the way); ends on the code view.
export async function loginOnPage (page, phone = DEMO_PHONE, password = DEMO_PASSWORD) {
  await byTestId(page, 'login-phone').fill(phone)
  await byTestId(page, 'login-password').fill(password)
  await byTestId(page, 'login-submit').click()
  await byTestId(page, 'tab-code').waitFor()
  await currentCode(page)
}

// The QR element as a PNG file (what a camera or a decoder is given).
export async function screenshotQr (page, path) {
  await byTestId(page, 'code-qr').screenshot({ path })
  return path
}

// ---------------------------------------------------------------------------
// The counter page

// Terminal key (terminal: false when it is entered already), then (where
// the scene needs one) the clerk's sign-in; ends on the scan view.
// The demo organisation admin key of `org` (demo.json's org_admins).
export function orgAdminKey (server, org) {
  const found = server.keys.org_admins.find((entry) => entry.org === org)
  if (!found) throw new Error(`no demo org admin key for ${org}`)
  return found.api_key
}

export async function counterLogin (page, key, { staff = true, terminal = true } = {}) {
  if (terminal) {
    await byTestId(page, 'terminal-key').fill(key)
    await byTestId(page, 'terminal-submit').click()
  }
  if (staff) {
    await byTestId(page, 'staff-login').fill(CLERK)
    await byTestId(page, 'staff-password').fill(DEMO_PASSWORD)
    await byTestId(page, 'staff-submit').click()
  }
  await byTestId(page, 'code-form').waitFor()
}

// Types (pastes) a code into the counter's field and submits it, then waits
// for the verdict to settle: {state, reason}.
export async function submitTyped (page, code) {
  await byTestId(page, 'verdict').evaluate((el) => { el.dataset.state = 'idle'; el.dataset.reason = '' })
  await byTestId(page, 'code-input').fill(code)
  await byTestId(page, 'code-input').press('Enter')
  return settledVerdict(page)
}

export async function settledVerdict (page) {
  await page.locator('[data-testid="verdict"]:is([data-state="valid"], [data-state="refused"])').waitFor()
  return byTestId(page, 'verdict').evaluate((el) => ({ state: el.dataset.state, reason: el.dataset.reason }))
}

// ---------------------------------------------------------------------------
// Images

// A y4m of one frame for chromium's fake camera, from a PNG: grey from the
// PNG's colours, a white quiet zone around it, even sides (4:2:0), no colour.
export function pngToY4m (pngPath, y4mPath, quiet = 40) {
  const png = PNG.sync.read(readFileSync(pngPath))
  const width = (png.width + 2 * quiet + 1) & ~1
  const height = (png.height + 2 * quiet + 1) & ~1
  const y = Buffer.alloc(width * height, 255)
  for (let row = 0; row < png.height; row++) {
    for (let col = 0; col < png.width; col++) {
      const i = (row * png.width + col) * 4
      y[(row + quiet) * width + col + quiet] = Math.round((png.data[i] * 299 + png.data[i + 1] * 587 + png.data[i + 2] * 114) / 1000)
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128)
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\nFRAME\n`)
  writeFileSync(y4mPath, Buffer.concat([header, y, chroma]))
  return { width, height }
}

// The text of a PNG's QR by the two third-party decoders.
export async function decodeWithTools (pngPath) {
  const zxing = (await run('ZXingReader', [pngPath])).stdout
  const zbar = (await run('zbarimg', ['--raw', '-q', pngPath])).stdout
  return {
    zxing: /^Text:\s+"(.*)"$/m.exec(zxing)?.[1] ?? null,
    zbar: zbar.trim()
  }
}

// ---------------------------------------------------------------------------
// Every view in both languages: axe-core and screenshots

export const LANGS = [['zh', 'zh-CN'], ['en', 'en']] // [file tag, html lang]
export const SIZES = [PHONE_VIEWPORT, DESKTOP_VIEWPORT]
const BLOCKING = new Set(['serious', 'critical'])

export function shotPath (view, lang, size) {
  return join(SCREENSHOTS, `${view}-${lang}-${size.width}x${size.height}.png`)
}

// Switches the page's language by its switch (a no-op when it is shown already).
export async function setLang (page, lang) {
  const button = byTestId(page, 'lang-switch')
  if (await button.getAttribute('data-lang') !== lang) await button.click()
  await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' })
}

// What a walk of views found: `visit` runs axe-core on a view in zh-CN and
// in English (by the switch, once `ready(page)` says its content is there)
// and writes its screenshots at both sizes (the page put back to its own).
// The walk's test then asserts `violations` empty and every view analysed.
export function viewAudit () {
  const audit = {
    analysed: [], // `${view}-${lang}` for every axe run
    violations: [], // the serious and critical ones, with where
    lesser: new Set(), // the others' rule ids (reported, not failed)
    written: [], // the screenshots
    async visit (page, view, ready) {
      const own = page.viewportSize()
      for (const [lang, htmlLang] of LANGS) {
        await setLang(page, htmlLang)
        await ready(page)
        const result = await new AxeBuilder({ page }).analyze()
        audit.analysed.push(`${view}-${lang}`)
        for (const v of result.violations) {
          if (BLOCKING.has(v.impact)) audit.violations.push(`${view}-${lang}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
          else audit.lesser.add(`${v.impact} ${v.id}`)
        }
        for (const size of SIZES) {
          await page.setViewportSize(size)
          await page.screenshot({ path: shotPath(view, lang, size), fullPage: true })
          audit.written.push(shotPath(view, lang, size))
        }
        await page.setViewportSize(own)
      }
    },
    // Removes the views' old screenshots (before a walk).
    clear (views) {
      ensureDir(SCREENSHOTS)
      for (const view of views) for (const [lang] of LANGS) for (const size of SIZES) rmSync(shotPath(view, lang, size), { force: true })
    }
  }
  return audit
}

// A data panel settled: none loading (lib/panel.js).
export function panelsSettled (page) {
  return waitForPage(page, () => !document.querySelector('.panel[aria-busy="true"], .panel .loading'))
}

export function tempDir (prefix = 'citycode-test-') {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function ensureDir (path) {
  mkdirSync(path, { recursive: true })
  return path
}

// A demo server and a chromium for the tests of one describe block: both
// started before its first test and stopped after its last. Read
// env.server and env.browser inside the tests.
export function withDemoAndBrowser () {
  const env = {}
  before(async () => {
    env.server = await startDemo()
    env.browser = await launchChromium()
  })
  after(async () => {
    await env.browser?.close()
    await env.server?.stop()
  })
  return env
}
