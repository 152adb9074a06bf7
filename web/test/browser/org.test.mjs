// The organisation page (/org): the service hall's admin signs in with its
// organisation key; makes a terminal whose key, shown once, opens the
// counter page (the clerk signs in, the hall's kiosk shows), then disables
// it in two steps and the counter page is refused; a service item made on
// the page is offered at the hall's kiosk, and a window set up on it is
// named on the counter page; staff accounts are made and disabled; a
// terminal key or the admin key is refused in words, and an issuing
// agency's terminal in words too; every view passes axe-core in zh-CN and
// English and is photographed at both sizes.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import {
  DESKTOP_VIEWPORT, HALL_ORG, LANGS, SIZES, counterLogin, openPage, panelsSettled, setLang, shotPath, testid, viewAudit,
  withDemoAndBrowser, orgAdminKey } from './support.mjs'

const HALL_SITE = '区政务服务大厅'
const ORG_VIEWS = ['signin', 'sites', 'terminals', 'staff', 'hall'].map((v) => `org-${v}`)

describe('the organisation page', { timeout: 180000 }, () => {
  const env = withDemoAndBrowser()
  const audit = viewAudit()

  const orgKey = (org) => orgAdminKey(env.server, org)

  // A fresh /org page; every request's URL is kept (no key may be in one).
  async function openOrg () {
    const page = await openPage(env.browser, env.server, '/org', { viewport: DESKTOP_VIEWPORT })
    page.requestedUrls = []
    page.on('request', (request) => page.requestedUrls.push(request.url()))
    await testid(page, 'org-key-form').waitFor()
    return page
  }

  async function signIn (page, key) {
    await testid(page, 'org-key').fill(key)
    await testid(page, 'org-key-submit').click()
  }

  async function signInHall () {
    const page = await openOrg()
    await signIn(page, orgKey(HALL_ORG))
    await testid(page, 'tab-sites').waitFor()
    return page
  }

  // What the page keeps: sessionStorage, localStorage and IndexedDB's names.
  function stored (page) {
    return page.evaluate(async () => JSON.stringify({
      session: Object.entries(sessionStorage),
      local: Object.entries(localStorage),
      idb: (await indexedDB.databases()).map((db) => db.name)
    }))
  }

  test('a terminal made on the page: its key shown once opens the counter; a new key stops the old; disabled, the counter is refused', async () => {
    const org = await signInHall()
    assert.equal(await testid(org, 'header-org').textContent(), HALL_ORG)
    assert.equal(await testid(org, 'tab-hall').count(), 1, 'a service hall has its setup tab')

    await testid(org, 'tab-terminals').click()
    await testid(org, 'terminal-create').click()
    await org.locator('[data-testid="terminal-create-status"][data-error-code="org_site_missing"]').waitFor()
    await testid(org, 'terminal-site-select').selectOption({ label: HALL_SITE })
    await testid(org, 'terminal-name-input').fill('区政务服务大厅 测试终端')
    await testid(org, 'terminal-create').click()
    const key = (await testid(org, 'key-once-value').textContent()).trim()
    assert.match(key, /^cck_[0-9a-f]+_\S+$/)
    const made = org.locator('[data-testid="terminal"]').filter({ hasText: '区政务服务大厅 测试终端' })
    await made.waitFor()
    assert.equal(await made.getAttribute('data-active'), 'true')
    assert.equal(await made.locator('[data-testid="terminal-site"]').textContent(), HALL_SITE)
    assert.equal(await made.locator('[data-testid="terminal-scene"]').textContent(), '政务服务')
    const keep = await stored(org)
    assert.ok(!keep.includes(key), 'the new terminal key is in no storage')
    assert.ok(keep.includes(orgKey(HALL_ORG)), 'the org key is kept for this tab')

    // The counter page takes the key; the clerk signs in; the hall's kiosk shows.
    const counter = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(counter, key)
    assert.equal(await testid(counter, 'header-org').textContent(), HALL_ORG)
    assert.equal(await testid(counter, 'header-site').textContent(), HALL_SITE)
    await testid(counter, 'step-gov-kiosk').waitFor({ state: 'attached' })

    // A new key in two steps, shown once: the old one stops at once.
    await made.locator('[data-testid="terminal-rotate"]').click()
    await made.locator('[data-testid="terminal-rotate-confirm"]').click()
    await org.locator('[data-testid="key-once-value"]').filter({ hasNotText: key }).waitFor()
    const rotated = (await testid(org, 'key-once-value').textContent()).trim()
    assert.match(rotated, /^cck_/)
    await counter.reload()
    await counterRefused(counter)
    const second = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(second, rotated)
    await testid(second, 'step-gov-kiosk').waitFor({ state: 'attached' })

    // Disabled in two steps: the list says so, the key is gone from the page.
    await made.locator('[data-testid="terminal-disable"]').click()
    await made.locator('[data-testid="terminal-disable-confirm"]').click()
    await org.locator('[data-testid="terminal"][data-active="false"]').filter({ hasText: '区政务服务大厅 测试终端' }).waitFor()
    assert.equal(await testid(org, 'key-once').count(), 0, 'the disabled terminal\'s key is no longer shown')
    await second.reload()
    await counterRefused(second)
    assert.ok(org.requestedUrls.every((url) => !url.includes('cck_')), 'no key in a request URL')
  })

  // The counter page, reloaded with a key that stopped: its form says so in words.
  async function counterRefused (counter) {
    const refused = counter.locator('[data-testid="terminal-status"][data-error-code="terminal_key_refused"]')
    await refused.waitFor()
    assert.equal(await refused.textContent(), '终端密钥无效。')
  }

  test('a service item made on the page is offered at the hall\'s kiosk; a bad or taken code is refused in words', async () => {
    const org = await signInHall()
    await testid(org, 'tab-hall').click()
    await panelsSettled(org)
    await testid(org, 'hall-item-code-input').fill('Not A Code')
    await testid(org, 'hall-item-name-input').fill('测试事项 居住证')
    await testid(org, 'hall-item-submit').click()
    await org.locator('[data-testid="hall-item-status"][data-error-code="org_item_code_invalid"]').waitFor()

    await testid(org, 'hall-item-code-input').fill('test-residence-permit')
    await testid(org, 'hall-item-type-resident_id_card').check()
    await testid(org, 'hall-item-submit').click()
    const item = org.locator('[data-testid="hall-item"][data-code="test-residence-permit"]')
    await item.waitFor()
    assert.equal(await item.locator('[data-testid="hall-item-name"]').textContent(), '测试事项 居住证')
    assert.equal(await item.locator('[data-testid="hall-item-types"]').textContent(), '居民身份证')

    // The same code again: the server's already_exists, in words.
    await testid(org, 'hall-item-code-input').fill('test-residence-permit')
    await testid(org, 'hall-item-name-input').fill('测试事项 重复')
    await testid(org, 'hall-item-submit').click()
    const taken = org.locator('[data-testid="hall-item-status"][data-error-code="already_exists"]')
    await taken.waitFor()
    assert.equal(await taken.textContent(), '本大厅已有使用该代码的事项。')

    const kiosk = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(kiosk, env.server.terminalKey('kiosk'))
    await kiosk.locator('[data-testid="service-item"] option').first().waitFor({ state: 'attached' })
    const offered = await kiosk.locator('[data-testid="service-item"] option').allTextContents()
    assert.ok(offered.includes('测试事项 居住证'), `the kiosk offers the new item (${offered.join(', ')})`)
  })

  test('a window set up on the page: listed with its site, terminal and item; the counter shows it by name', async () => {
    // A terminal of the hall (made through the API: the page's own making is the first test's).
    const key = orgKey(HALL_ORG)
    const { body: me } = await env.server.api('GET', '/v1/org', { key })
    const { body: { sites } } = await env.server.api('GET', `/v1/orgs/${me.id}/sites`, { key })
    const site = sites.find((s) => s.name === HALL_SITE)
    const made = await env.server.api('POST', `/v1/orgs/${me.id}/terminals`, { key, body: { site_id: site.id, name: '区政务服务大厅 5号' } })
    assert.equal(made.status, 201)

    const org = await signInHall()
    await testid(org, 'tab-hall').click()
    await panelsSettled(org)
    await testid(org, 'hall-window-terminal-select').selectOption({ label: `${HALL_SITE} · 区政务服务大厅 5号` })
    await testid(org, 'hall-window-submit').click()
    await org.locator('[data-testid="hall-window-status"][data-error-code="org_window_name_missing"]').waitFor()
    await testid(org, 'hall-window-name-input').fill('5号窗口')
    await org.locator('[data-testid="hall-window-item"][data-code="hukou-transfer"]').check()
    await testid(org, 'hall-window-submit').click()
    const hallWindow = org.locator(`[data-testid="hall-window"][data-terminal-id="${made.body.id}"]`)
    await hallWindow.waitFor()
    assert.equal(await hallWindow.locator('[data-testid="hall-window-name"]').textContent(), '5号窗口')
    assert.equal(await hallWindow.locator('[data-testid="hall-window-site"]').textContent(), HALL_SITE)
    assert.equal(await hallWindow.locator('[data-testid="hall-window-items"]').textContent(), '户口迁移')

    const counter = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(counter, made.body.api_key)
    await testid(counter, 'step-gov-window').waitFor()
    assert.equal((await testid(counter, 'terminal-window').textContent()).trim(), '5号窗口')

    // Its terminal disabled: the server still lists the window; the page says so.
    assert.equal((await env.server.api('DELETE', `/v1/orgs/${me.id}/terminals/${made.body.id}`, { key })).status, 200)
    await testid(org, 'tab-hall').click()
    await hallWindow.locator('[data-testid="hall-window-disabled"]').waitFor()
  })

  test('staff: an account made and disabled in two steps; a taken login refused in words', async () => {
    const org = await signInHall()
    await testid(org, 'tab-staff').click()
    await org.locator('[data-testid="staff-member"]').first().waitFor()
    const fill = async (login, name, password) => {
      await testid(org, 'staff-new-login').fill(login)
      await testid(org, 'staff-new-name').fill(name)
      await testid(org, 'staff-new-password').fill(password)
      await testid(org, 'staff-create').click()
    }
    await fill('clerk', '重名职员', 'long-enough-1')
    const taken = org.locator('[data-testid="staff-create-status"][data-error-code="already_exists"]')
    await taken.waitFor()
    assert.equal(await taken.textContent(), '本机构已有使用该工号的工作人员。')
    await fill('test.clerk', '测试职员', 'short')
    await org.locator('[data-testid="staff-create-status"][data-error-code="org_staff_password_length"]').waitFor()

    await fill('test.clerk', '测试职员', 'long-enough-1')
    const member = org.locator('[data-testid="staff-member"]').filter({ hasText: 'test.clerk' })
    await member.waitFor()
    assert.equal(await member.getAttribute('data-active'), 'true')
    await member.locator('[data-testid="staff-disable"]').click()
    await member.locator('[data-testid="staff-disable-confirm"]').click()
    await org.locator('[data-testid="staff-member"][data-active="false"]').filter({ hasText: 'test.clerk' }).waitFor()
  })

  test('the key is kept for this tab across a reload and forgotten on sign-out', async () => {
    const page = await signInHall()
    await page.reload()
    await testid(page, 'tab-sites').waitFor()
    assert.equal(await testid(page, 'header-org').textContent(), HALL_ORG)
    await testid(page, 'org-sign-out').click()
    await testid(page, 'org-key-form').waitFor()
    assert.equal(await page.evaluate(() => sessionStorage.getItem('citycode.orgKey')), null)
    assert.ok(await page.locator('#org-where').isHidden(), 'the header names no organisation')
  })

  test('a terminal key, the admin key or an unknown key is refused in words, in both languages', async () => {
    const page = await openOrg()
    for (const key of [env.server.terminalKey('kiosk'), env.server.keys.admin_key]) {
      await signIn(page, key)
      const refused = page.locator('[data-testid="org-key-status"][data-error-code="org_key_not_org"]')
      await refused.waitFor()
      assert.equal(await refused.textContent(), '本页面需要机构管理员的密钥：终端密钥和平台管理员密钥不能在这里使用。')
      await setLang(page, 'en')
      assert.match(await refused.textContent(), /needs an organisation admin’s key/)
      await setLang(page, 'zh-CN')
    }
    await signIn(page, 'cck_000000000000000000000000_not-a-key')
    await page.locator('[data-testid="org-key-status"][data-error-code="org_key_refused"]').waitFor()
    assert.equal(await page.evaluate(() => sessionStorage.getItem('citycode.orgKey')), null, 'a refused key is not kept')
    assert.ok(await page.locator('#tabs').isHidden(), 'no tabs before signing in')
  })

  test('an issuing agency: no hall tab, and its terminal refused in words', async () => {
    const admin = env.server.keys.admin_key
    const agency = await env.server.api('POST', '/v1/orgs', { key: admin, body: { name: '测试签发机构', kind: 'issuing_agency' } })
    assert.equal(agency.status, 201)
    const adminKey = await env.server.api('POST', `/v1/orgs/${agency.body.id}/admin-keys`, { key: admin, body: { name: 'org page test' } })
    assert.equal(adminKey.status, 201)

    const page = await openOrg()
    await signIn(page, adminKey.body.api_key)
    await testid(page, 'tab-sites').waitFor()
    assert.equal(await testid(page, 'header-org').textContent(), '测试签发机构')
    assert.equal(await testid(page, 'header-org-kind').textContent(), '证照签发机构')
    assert.equal(await testid(page, 'tab-hall').count(), 0)

    await testid(page, 'site-name-input').fill('签发大楼')
    await testid(page, 'site-submit').click()
    await page.locator('[data-testid="site"]').filter({ hasText: '签发大楼' }).waitFor()

    await testid(page, 'tab-terminals').click()
    await panelsSettled(page)
    await testid(page, 'terminal-site-select').selectOption({ label: '签发大楼' })
    await testid(page, 'terminal-name-input').fill('签发大楼 1')
    await testid(page, 'terminal-create').click()
    const refused = page.locator('[data-testid="terminal-create-status"][data-error-code="failed_precondition"]')
    await refused.waitFor()
    assert.equal(await refused.textContent(), '证照签发机构不运行终端，本机构不能创建终端。')
  })

  test('every view passes axe-core in zh-CN and English, and is photographed at both sizes', async (t) => {
    audit.clear(ORG_VIEWS)
    const page = await openOrg()
    await audit.visit(page, 'org-signin', (p) => testid(p, 'org-key-form').waitFor())
    await signIn(page, orgKey(HALL_ORG))
    await testid(page, 'tab-sites').waitFor()
    await audit.visit(page, 'org-sites', panelsSettled)

    // The terminals with a key just shown (kept across the language switch).
    await testid(page, 'tab-terminals').click()
    await panelsSettled(page)
    await testid(page, 'terminal-site-select').selectOption({ label: HALL_SITE })
    await testid(page, 'terminal-name-input').fill('区政务服务大厅 截图终端')
    await testid(page, 'terminal-create').click()
    const key = await testid(page, 'key-once-value').textContent()
    await audit.visit(page, 'org-terminals', async (p) => {
      await panelsSettled(p)
      assert.equal(await testid(p, 'key-once-value').textContent(), key, 'the key survives the language switch')
    })

    await testid(page, 'tab-staff').click()
    await audit.visit(page, 'org-staff', panelsSettled)
    await testid(page, 'tab-hall').click()
    await audit.visit(page, 'org-hall', async (p) => {
      await p.locator('[data-testid^="hall-item-type-"]').first().waitFor()
      await panelsSettled(p)
    })

    if (audit.lesser.size) t.diagnostic(`lesser axe findings (not failed): ${[...audit.lesser].join(', ')}`)
    const expected = ORG_VIEWS.flatMap((view) => LANGS.map(([lang]) => `${view}-${lang}`))
    assert.deepEqual([...audit.analysed].sort(), expected.sort())
    assert.deepEqual(audit.violations, [], `serious or critical violations:\n${audit.violations.join('\n')}`)
    for (const view of ORG_VIEWS) {
      for (const [lang] of LANGS) for (const size of SIZES) assert.ok(existsSync(shotPath(view, lang, size)), `${view}-${lang} ${size.width}`)
    }
  })
})
