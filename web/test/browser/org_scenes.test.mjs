// The organisation page's scene setup views (/org): a hospital's admin adds
// a department and a clinician and publishes a session, whose slots the
// hospital's kiosk lists on the counter page, then stops it (two steps, a
// reason) and the slots are gone; gives a new terminal a role; reads the
// day's revenue. A hotel's admin registers its licence and adds a room
// that the front desk lists. An access site's admin publishes a slot that
// the citizen's 出入通行 tab offers, adds a verified person as a resident
// by name and ID number and removes them in two steps, sets a new site up
// and a gate's direction, and is told in words that the site has no
// anti-passback report. A transit operator's admin sees its agencies
// read-only and binds a terminal to a route. Refusals are in words; every
// new view passes axe-core in zh-CN and English and is photographed at
// both sizes; no ID number or key goes in a request URL or storage.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import {
  DESKTOP_VIEWPORT, LANGS, SIZES, counterLogin, loginOnPage, newIdNumber, openPage, panelsSettled, registerOnPage, setLang,
  shotPath, testid, viewAudit, withDemoAndBrowser, orgAdminKey } from './support.mjs'

const HOSPITAL = '即墨区人民医院'
const HOTEL = '即墨古城酒店'
const SCENIC = '鹤山风景区'
const COMMUNITY = '墨河社区'
const TECH = '即墨科技创新中心'
const BUS = '即墨公交'
const TODAY = '2026-07-16' // the demo starts at 05:30 on this day in Jimo
const TOMORROW = '2026-07-17'
const VIEWS = {
  [HOSPITAL]: ['medical', 'schedules', 'roles', 'revenue'],
  [HOTEL]: ['hotel'],
  [COMMUNITY]: ['access', 'members', 'passbacks'],
  [SCENIC]: ['slots'],
  [BUS]: ['transit']
}
const AUDITED = Object.values(VIEWS).flat().map((v) => `org-${v}`)

describe('the organisation page\'s scene setup views', { timeout: 240000 }, () => {
  const env = withDemoAndBrowser()
  const audit = viewAudit()

  const orgKey = (org) => orgAdminKey(env.server, org)

  // /org signed in as the organisation's admin; every request URL is kept.
  async function signInAs (org) {
    const page = await openPage(env.browser, env.server, '/org', { viewport: DESKTOP_VIEWPORT })
    page.requestedUrls = []
    page.on('request', (request) => page.requestedUrls.push(request.url()))
    await testid(page, 'org-key').fill(orgKey(org))
    await testid(page, 'org-key-submit').click()
    await testid(page, 'tab-sites').waitFor()
    assert.equal(await testid(page, 'header-org').textContent(), org)
    return page
  }

  async function openTab (page, id) {
    await testid(page, `tab-${id}`).click()
    await panelsSettled(page)
  }

  // The status line once it says this error code, and its words.
  async function refusal (page, line, code) {
    const found = page.locator(`[data-testid="${line}"][data-error-code="${code}"]`)
    await found.waitFor()
    return (await found.textContent()).trim()
  }

  // The organisation and its first site through the API (as a test's setup).
  async function orgOf (name) {
    const key = orgKey(name)
    const { body: me } = await env.server.api('GET', '/v1/org', { key })
    const { body: { sites } } = await env.server.api('GET', `/v1/orgs/${me.id}/sites`, { key })
    return { key, me, sites }
  }

  test('a hospital: a department, a clinician and a session made on the page; the kiosk lists its slots; stopped in two steps', async () => {
    const org = await signInAs(HOSPITAL)
    assert.equal(await testid(org, 'header-org-kind').textContent(), '医院')
    for (const id of VIEWS[HOSPITAL]) assert.equal(await testid(org, `tab-${id}`).count(), 1, `tab ${id}`)
    assert.equal(await testid(org, 'tab-hall').count(), 0)

    await openTab(org, 'medical')
    await testid(org, 'department-submit').click()
    await refusal(org, 'department-status', 'org_department_name_missing')
    await testid(org, 'department-name-input').fill('测试门诊科')
    await testid(org, 'department-submit').click()
    await org.locator('[data-testid="medical-department"]').filter({ hasText: '测试门诊科' }).waitFor()
    await testid(org, 'department-name-input').fill('测试门诊科')
    await testid(org, 'department-submit').click()
    assert.equal(await refusal(org, 'department-status', 'department_exists'), '本院已有同名科室。')

    await testid(org, 'clinician-department-select').selectOption({ label: '测试门诊科' })
    await testid(org, 'clinician-name-input').fill('测试医生赵敏')
    await testid(org, 'clinician-title-input').fill('主治医师')
    await testid(org, 'clinician-submit').click()
    const clinician = org.locator('[data-testid="medical-clinician"]').filter({ hasText: '测试医生赵敏' })
    await clinician.waitFor()
    assert.equal(await clinician.locator('[data-testid="medical-clinician-department"]').textContent(), '测试门诊科')

    // A session today, 14:00-15:00 in two slots of 3 places at ¥12.50 (sent as 1250 fen).
    await openTab(org, 'schedules')
    await testid(org, 'schedule-clinician-select').selectOption({ label: '测试医生赵敏 · 主治医师 · 测试门诊科' })
    assert.equal(await testid(org, 'schedule-day').inputValue(), TODAY, 'today in the city by the server\'s clock')
    await testid(org, 'schedule-start').fill('14:00')
    await testid(org, 'schedule-end').fill('15:00')
    await testid(org, 'schedule-slot-minutes').fill('25')
    await testid(org, 'schedule-capacity').fill('3')
    await testid(org, 'schedule-fee').fill('12.5')
    await testid(org, 'schedule-submit').click()
    await refusal(org, 'schedule-status', 'org_slot_minutes')
    await testid(org, 'schedule-slot-minutes').fill('30')
    const sent = org.waitForRequest((request) => request.url().endsWith('/medical/schedules') && request.method() === 'POST')
    await testid(org, 'schedule-submit').click()
    const body = JSON.parse((await sent).postData())
    assert.deepEqual({ ...body, clinician_id: undefined }, { clinician_id: undefined, day: TODAY, start: '14:00', end: '15:00', slot_minutes: 30, capacity: 3, fee_fen: 1250 })
    const schedule = org.locator('[data-testid="medical-schedule"][data-state="published"]')
    await schedule.waitFor()
    const scheduleId = await schedule.getAttribute('data-schedule-id')
    assert.equal(await schedule.locator('[data-testid="medical-schedule-fee"]').getAttribute('data-fen'), '1250')
    assert.equal(await schedule.locator('[data-testid="medical-schedule-fee"]').textContent(), '¥12.50')
    assert.equal(await schedule.locator('[data-testid="medical-schedule-slots"]').getAttribute('data-count'), '2')
    // The same session again: the server's schedule_overlaps, in words.
    await testid(org, 'schedule-submit').click()
    assert.equal(await refusal(org, 'schedule-status', 'schedule_overlaps'), '该医生在这段时间已有出诊。')

    // The hospital's kiosk lists the new slots (time, department, clinician, fee, places).
    const kiosk = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(kiosk, env.server.terminalKey('hospital'))
    await testid(kiosk, 'step-medical-kiosk').waitFor({ state: 'attached' })
    const options = kiosk.locator('[data-testid="medical-slot"] option').filter({ hasText: '测试医生赵敏' })
    await options.nth(1).waitFor({ state: 'attached' })
    const texts = await options.allTextContents()
    assert.deepEqual(texts.map((text) => text.split(' · ')[0]), ['14:00', '14:30'])
    for (const text of texts) assert.match(text, /测试门诊科 · 测试医生赵敏.* · ¥12\.50 · 余 3 个$/, text)

    // 停诊: a reason is required, then two steps; the slots are no longer offered.
    await schedule.locator('[data-testid="schedule-stop"]').click()
    await schedule.locator('[data-testid="schedule-stop-confirm"]').click()
    await refusal(org, 'schedule-stop-status', 'org_stop_reason_missing')
    await schedule.locator('[data-testid="schedule-stop-reason"]').fill('医生临时外出会诊')
    await schedule.locator('[data-testid="schedule-stop-confirm"]').click()
    const stopped = org.locator(`[data-testid="medical-schedule"][data-schedule-id="${scheduleId}"][data-state="stopped"]`)
    await stopped.waitFor()
    assert.equal(await stopped.locator('[data-testid="medical-schedule-reason"]').textContent(), '医生临时外出会诊')
    const { me } = await orgOf(HOSPITAL)
    const slots = await env.server.api('GET', `/v1/medical/slots?org_id=${me.id}&day=${TODAY}`, { key: env.server.terminalKey('hospital') })
    assert.equal(slots.status, 200)
    assert.ok(slots.body.slots.every((slot) => slot.schedule_id !== scheduleId), 'a stopped session\'s slots are not listed')
    assert.ok(org.requestedUrls.every((url) => !url.includes('cck_')), 'no key in a request URL')
  })

  test('a hospital: a new terminal gets a role (a desk needs its clinician, in words); the day\'s revenue', async () => {
    const { key, me, sites } = await orgOf(HOSPITAL)
    const made = await env.server.api('POST', `/v1/orgs/${me.id}/terminals`, { key, body: { site_id: sites[0].id, name: '门诊楼 药房2' } })
    assert.equal(made.status, 201)
    const org = await signInAs(HOSPITAL)
    await openTab(org, 'roles')
    assert.equal(await org.locator('[data-testid="medical-terminal"]').filter({ hasText: '门诊楼 1' }).getAttribute('data-role'), 'kiosk')
    const card = org.locator(`[data-testid="medical-terminal"][data-terminal-id="${made.body.id}"]`)
    assert.equal(await card.getAttribute('data-role'), '')
    await testid(org, 'role-terminal-select').selectOption(made.body.id)
    await testid(org, 'role-select').selectOption('desk')
    await testid(org, 'role-submit').click()
    await refusal(org, 'role-status', 'org_clinician_missing')
    await testid(org, 'role-select').selectOption('pharmacy')
    assert.ok(await testid(org, 'role-clinician-select').isHidden(), 'only a desk names its clinician')
    await testid(org, 'role-submit').click()
    await org.locator(`[data-testid="medical-terminal"][data-terminal-id="${made.body.id}"][data-role="pharmacy"]`).waitFor()
    assert.equal(await card.locator('[data-testid="medical-terminal-role"]').textContent(), '药房')

    await openTab(org, 'revenue')
    assert.equal(await testid(org, 'revenue-facts').getAttribute('data-day'), TODAY)
    assert.match(await testid(org, 'revenue-net').getAttribute('data-fen'), /^-?\d+$/)
  })

  test('a hotel: its licence registered, a room added on the page and listed at the front desk; a taken number refused in words', async () => {
    const org = await signInAs(HOTEL)
    await openTab(org, 'hotel')
    await testid(org, 'licence-submit').click()
    await refusal(org, 'licence-status', 'org_licence_missing')
    await testid(org, 'licence-input').fill('鲁公特旅字第0001号')
    await testid(org, 'licence-submit').click()
    await org.locator('[data-testid="licence-status"][data-i18n="org.hotel.licenceDone"]').waitFor()

    await org.locator('[data-testid="org-room"][data-number="205"]').waitFor()
    await testid(org, 'room-number-input').fill('101')
    await testid(org, 'room-submit').click()
    assert.equal(await refusal(org, 'room-status', 'room_exists'), '本酒店已有该房间号。')
    await setLang(org, 'en')
    assert.equal(await testid(org, 'room-status').textContent(), 'The hotel has a room of that number.')
    await setLang(org, 'zh-CN')
    await testid(org, 'room-number-input').fill('301')
    await testid(org, 'room-submit').click()
    await org.locator('[data-testid="org-room"][data-number="301"]').waitFor()

    const desk = await openPage(env.browser, env.server, '/counter', { viewport: DESKTOP_VIEWPORT })
    await counterLogin(desk, env.server.terminalKey('hotel'))
    await desk.locator('[data-testid="hotel-room"] option[data-number="301"]').waitFor({ state: 'attached' })
    // A new room is free.
    assert.equal(await desk.locator('[data-testid="hotel-room"] option[data-number="301"]').getAttribute('data-occupied'), 'false')
  })

  test('an access site: a slot published on the page is offered on the citizen\'s 出入通行 tab; outside the hours refused in words', async () => {
    const org = await signInAs(SCENIC)
    await openTab(org, 'slots')
    assert.equal(await testid(org, 'slot-site').locator('option:checked').textContent(), '东门')
    await testid(org, 'slot-day').fill(TOMORROW)
    await testid(org, 'slot-start').fill('18:00')
    await testid(org, 'slot-end').fill('19:00')
    await testid(org, 'slot-submit').click()
    assert.match(await refusal(org, 'slot-status', 'bad_slot_time'), /开放时间内/)
    await testid(org, 'slot-start').fill('17:00')
    await testid(org, 'slot-end').fill('18:00')
    await testid(org, 'slot-capacity').fill('20')
    await testid(org, 'slot-walk-ins').fill('5')
    await testid(org, 'slot-submit').click()
    const published = org.locator('[data-testid="published-slot"]')
    await published.waitFor()
    const slotId = await published.getAttribute('data-slot-id')
    assert.equal(await testid(org, 'slot-status').getAttribute('data-slot-id'), slotId)

    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    await loginOnPage(citizen)
    await testid(citizen, 'tab-access').click()
    const { sites } = await orgOf(SCENIC)
    await testid(citizen, 'access-site').waitFor()
    await testid(citizen, 'access-site').selectOption(sites[0].id)
    await testid(citizen, 'access-day').selectOption(TOMORROW)
    const offered = citizen.locator(`[data-testid="access-slot"][data-slot-id="${slotId}"]`)
    await offered.waitFor()
    assert.equal(await offered.getAttribute('data-available'), '20')
    assert.match(await offered.locator('[data-testid="access-slot-text"]').textContent(), /17:00/)
  })

  test('an access site: a verified person added as a resident by name and ID number, removed in two steps; refusals in words; no ID number kept or in a URL', async () => {
    // A new verified citizen (registered on the citizen page).
    const idNumber = newIdNumber()
    const citizen = await openPage(env.browser, env.server, '/', { clock: 'paused' })
    await registerOnPage(citizen, { name: '测试住户孙丽', idNumber })

    const org = await signInAs(COMMUNITY)
    await openTab(org, 'members')
    await org.locator('[data-testid="access-member"]').filter({ hasText: '演示市民张明' }).waitFor()
    await testid(org, 'member-name').fill('测试住户孙丽')
    await testid(org, 'member-id-number').fill(idNumber.slice(0, 17) + (idNumber[17] === '0' ? '1' : '0'))
    await testid(org, 'member-household').fill('5号楼1单元101')
    await testid(org, 'member-submit').click()
    await refusal(org, 'member-status', 'org_id_number_invalid')
    await testid(org, 'member-name').fill('测试住户错名')
    await testid(org, 'member-id-number').fill(idNumber)
    await testid(org, 'member-submit').click()
    assert.match(await refusal(org, 'member-status', 'person_not_registered'), /实名/)

    await testid(org, 'member-name').fill('测试住户孙丽')
    await testid(org, 'member-submit').click()
    const member = org.locator('[data-testid="access-member"]').filter({ hasText: '测试住户孙丽' })
    await member.waitFor()
    assert.equal(await member.locator('[data-testid="access-member-household"]').textContent(), '5号楼1单元101')
    assert.equal(await testid(org, 'member-id-number').inputValue(), '', 'the ID number field is emptied')
    assert.ok(!(await org.locator('main').textContent()).includes(idNumber), 'the ID number is shown nowhere')

    await member.locator('[data-testid="access-member-remove"]').click()
    await member.locator('[data-testid="access-member-remove-confirm"]').click()
    await member.waitFor({ state: 'detached' })
    const keep = await org.evaluate(() => JSON.stringify({ session: Object.entries(sessionStorage), local: Object.entries(localStorage) }))
    assert.ok(!keep.includes(idNumber), 'no ID number in storage')
    assert.ok(org.requestedUrls.every((url) => !url.includes(idNumber)), 'no ID number in a request URL')
  })

  test('an access site: a new site set up (two steps), a gate\'s direction set; no anti-passback report, in words', async () => {
    const { key, me } = await orgOf(TECH)
    const site = await env.server.api('POST', `/v1/orgs/${me.id}/sites`, { key, body: { name: '侧门' } })
    assert.equal(site.status, 201)
    const gate = await env.server.api('POST', `/v1/orgs/${me.id}/terminals`, { key, body: { site_id: site.body.id, name: '侧门 1' } })
    assert.equal(gate.status, 201)

    const org = await signInAs(TECH)
    await openTab(org, 'access')
    const card = org.locator(`[data-testid="access-site-setup"][data-site-id="${site.body.id}"]`)
    assert.equal(await card.getAttribute('data-policy'), '')
    await testid(org, 'access-config-site').selectOption(site.body.id)
    await testid(org, 'access-config-policy').selectOption('staff')
    await testid(org, 'access-config-opens').fill('08:00')
    await testid(org, 'access-config-closes').fill('07:00')
    await testid(org, 'access-config-save').click()
    await testid(org, 'access-config-save-confirm').click()
    await refusal(org, 'access-config-status', 'org_hours_invalid')
    await testid(org, 'access-config-closes').fill('20:00')
    await testid(org, 'access-config-save-confirm').click()
    await org.locator(`[data-testid="access-site-setup"][data-site-id="${site.body.id}"][data-policy="staff"]`).waitFor()
    assert.equal(await card.locator('[data-testid="access-site-hours"]').textContent(), '08:00 – 20:00')
    assert.equal(await card.locator('[data-testid="access-site-cards"]').textContent(), '关闭')
    // Printed cards on; new hours later keep them (the switches are sent as
    // shown). The question stays after a save: confirmed again each time.
    await testid(org, 'access-config-site').selectOption(site.body.id)
    await testid(org, 'access-config-cards').check()
    await testid(org, 'access-config-save-confirm').click()
    await card.locator('[data-testid="access-site-cards"]', { hasText: '开启' }).waitFor()
    await testid(org, 'access-config-site').selectOption(site.body.id)
    assert.ok(await testid(org, 'access-config-cards').isChecked())
    assert.ok(!(await testid(org, 'access-config-passback').isChecked()))
    await testid(org, 'access-config-closes').fill('21:00')
    await testid(org, 'access-config-save-confirm').click()
    await card.locator('[data-testid="access-site-hours"]', { hasText: '08:00 – 21:00' }).waitFor()
    assert.equal(await card.locator('[data-testid="access-site-cards"]').textContent(), '开启')
    const stored = await env.server.api('GET', `/v1/orgs/${me.id}/access/sites`, { key })
    assert.equal(stored.body.sites.find((s) => s.id === site.body.id).allow_cards, true)
    // Its policy is chosen: the choice is locked.
    await testid(org, 'access-config-site').selectOption(site.body.id)
    assert.ok(await testid(org, 'access-config-policy').isDisabled())

    await testid(org, 'gate-terminal-select').selectOption(gate.body.id)
    await testid(org, 'gate-direction').selectOption('in')
    await testid(org, 'gate-submit').click()
    await org.locator(`[data-testid="access-gate"][data-terminal-id="${gate.body.id}"][data-direction="in"]`).waitFor()

    await openTab(org, 'passbacks')
    const off = org.locator('[data-testid="passbacks-error"][data-error-code="anti_passback_off"]')
    await off.waitFor()
    assert.match(await off.textContent(), /没有开启反潜回/)
  })

  test('a transit operator: its agencies read-only; a terminal bound to a route, another operator\'s refused in words', async () => {
    const org = await signInAs(BUS)
    await openTab(org, 'transit')
    assert.deepEqual(await org.locator('[data-testid="transit-agency"]').allTextContents(), ['jimo_bus'])
    assert.equal(await org.locator('[data-testid="transit-agencies"] button, [data-testid="transit-agencies"] input').count(), 0, 'agencies are read-only')
    const terminal = org.locator('[data-testid="transit-terminal"]').filter({ hasText: '1路 1' })
    const terminalId = await terminal.getAttribute('data-terminal-id')
    await testid(org, 'route-terminal-select').selectOption(terminalId)
    await testid(org, 'route-id-input').fill('metro_11')
    await testid(org, 'route-submit').click()
    assert.equal(await refusal(org, 'route-status', 'route_of_another_operator'), '本单位不运营这条线路（或线路代码不存在）。')
    await testid(org, 'route-id-input').fill('bus_1')
    await testid(org, 'route-submit').click()
    await org.locator(`[data-testid="transit-terminal"][data-terminal-id="${terminalId}"][data-route-id="bus_1"]`).waitFor()
    // Freed again (an empty route id).
    await testid(org, 'route-submit').click()
    await org.locator(`[data-testid="transit-terminal"][data-terminal-id="${terminalId}"][data-route-id=""]`).waitFor()
  })

  // What a view shows once used: a session or a slot published from the page
  // (its list holds only those), kept across the language switch.
  const PREPARE = {
    async schedules (page) {
      await testid(page, 'schedule-clinician-select').selectOption({ index: 1 })
      await testid(page, 'schedule-day').fill('2026-07-19')
      await testid(page, 'schedule-start').fill('19:00')
      await testid(page, 'schedule-end').fill('20:00')
      await testid(page, 'schedule-submit').click()
      await page.locator('[data-testid="medical-schedule"]').waitFor()
    },
    async slots (page) {
      await testid(page, 'slot-day').fill(TOMORROW)
      await testid(page, 'slot-start').fill('07:00')
      await testid(page, 'slot-end').fill('08:00')
      await testid(page, 'slot-submit').click()
      await page.locator('[data-testid="published-slot"]').waitFor()
    }
  }

  test('every scene view passes axe-core in zh-CN and English, and is photographed at both sizes', async (t) => {
    audit.clear(AUDITED)
    for (const [org, views] of Object.entries(VIEWS)) {
      const page = await signInAs(org)
      for (const view of views) {
        await testid(page, `tab-${view}`).click()
        await panelsSettled(page)
        await PREPARE[view]?.(page)
        await audit.visit(page, `org-${view}`, panelsSettled)
      }
      await setLang(page, 'zh-CN')
      await page.context().close()
    }
    if (audit.lesser.size) t.diagnostic(`lesser axe findings (not failed): ${[...audit.lesser].join(', ')}`)
    const expected = AUDITED.flatMap((view) => LANGS.map(([lang]) => `${view}-${lang}`))
    assert.deepEqual([...audit.analysed].sort(), expected.sort())
    assert.deepEqual(audit.violations, [], `serious or critical violations:\n${audit.violations.join('\n')}`)
    for (const view of AUDITED) {
      for (const [lang] of LANGS) for (const size of SIZES) assert.ok(existsSync(shotPath(view, lang, size)), `${view}-${lang} ${size.width}`)
    }
  })
})
