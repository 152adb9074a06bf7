// My code: the live CC1 code, remade every 30 s with a countdown, from the
// stored credential, online or not.
import { h, setText, statusLine } from '../lib/dom.js'
import { drawQr } from '../lib/qr.js'
import { formatDateTime, onLangChange, t } from '../lib/i18n.js'
import { showError } from '../lib/errors.js'
import { enrolDevice, isExpired, makeLiveCode } from './device.js'

export const CODE_LIFETIME_S = 30

export function renderCodeView (main, ctx, params = {}) {
  main.append(h('h2', { t: 'code.title' }))
  const { device, session } = ctx.state
  if (!device) return renderNoDevice(main, ctx, params)
  if (params.identityVerified) main.append(h('p', { class: 'notice notice--ok', role: 'status', t: 'identity.done', testid: 'identity-done' }))
  const live = buildLiveCode(ctx)
  main.append(live.card)
  main.append(renderBanners(ctx))
  if (!session) {
    main.append(h('p', { class: 'notice', testid: 'login-to-renew' }, h('span', { t: 'code.loginToRenew' }), ' ',
      h('button', { type: 'button', class: 'button button--link', t: 'nav.login', onclick: () => ctx.show('login') })))
  }
  return live.start()
}

function renderNoDevice (main, ctx, params) {
  const status = statusLine('enrol-status')
  if (params.enrolError) showError(status, params.enrolError)
  if (params.lost) main.append(h('p', { class: 'notice notice--ok', role: 'status', t: 'devices.lostDone', testid: 'lost-done' }))
  if (!ctx.state.session) {
    main.append(h('p', { class: 'empty', t: 'code.noDeviceLoggedOut' }))
    return
  }
  const button = h('button', {
    type: 'button',
    class: 'button button--primary',
    t: 'code.enrol',
    testid: 'enrol-device',
    onclick: async () => {
      button.disabled = true
      try {
        await ctx.setDevice(await enrolDevice(ctx.api, t('enrol.label')))
        ctx.show('code')
      } catch (error) {
        ctx.show('code', { enrolError: error })
      }
    }
  })
  // At the device limit, the way out is ending an old device.
  const tooMany = params.enrolError?.code === 'failed_precondition'
  const manage = h('button', { type: 'button', class: 'button button--secondary', t: 'code.manageDevices', testid: 'go-devices', onclick: () => ctx.show('devices') })
  main.append(h('div', { class: 'card empty' }, h('p', { t: 'code.noDevice' }), status,
    tooMany ? h('p', { t: 'code.deviceLimit' }) : null,
    h('div', { class: 'actions actions--center' }, button, tooMany ? manage : null)))
}

// The QR, its text, the countdown and the details; start() runs the timer
// and returns the function that stops it.
function buildLiveCode (ctx) {
  const canvas = h('canvas', { class: 'qr', testid: 'code-qr', role: 'img', tAttrs: { 'aria-label': 'code.qrLabel' } })
  const text = h('output', { class: 'code-text', testid: 'code-text' })
  const countdown = h('span', { class: 'countdown__value', testid: 'countdown' })
  const bar = h('span', { class: 'countdown__bar' })
  const meta = h('dl', { class: 'code-meta' })
  const offline = h('p', { class: 'offline-tag', testid: 'offline-indicator', t: 'code.offline', hidden: true })
  const expired = h('p', { class: 'notice notice--error', role: 'alert', testid: 'credential-expired', t: 'code.expired', hidden: true })
  const refresh = h('button', { type: 'button', class: 'button button--secondary', t: 'code.refresh', testid: 'code-refresh' })
  const card = h('section', { class: 'code-card', 'aria-labelledby': 'code-caption' },
    h('p', { id: 'code-caption', class: 'code-caption', t: 'code.caption' }),
    h('div', { class: 'qr-frame' }, canvas),
    h('p', { class: 'countdown', 'aria-live': 'off' }, h('span', { t: 'code.refreshIn' }), ' ', countdown, h('span', { class: 'countdown__track', 'aria-hidden': 'true' }, bar)),
    expired, offline, h('div', { class: 'actions actions--center' }, refresh), meta,
    h('details', { class: 'code-text-box' }, h('summary', { t: 'code.showText' }), text))

  let madeAt = 0
  let timer = null
  let stopped = false
  let making = null

  // One code at a time: a tick and a click may ask together.
  function remake () {
    making ??= makeOne().finally(() => { making = null })
    return making
  }

  async function makeOne () {
    const device = ctx.state.device
    if (!device || stopped) return
    const isOver = isExpired(device)
    expired.hidden = !isOver
    canvas.hidden = isOver
    if (isOver) return
    const code = await makeLiveCode(device)
    if (stopped) return
    await drawQr(canvas, code.text, { width: Math.round(Math.min(360, window.innerWidth * 0.82) * (window.devicePixelRatio || 1)) })
    canvas.dataset.code = code.text
    canvas.dataset.t = String(code.t)
    canvas.dataset.n = String(code.n)
    text.textContent = code.text
    madeAt = Date.now()
    renderMeta(meta, device)
    ctx.maybeRenew()
  }

  function tick () {
    const left = Math.max(0, CODE_LIFETIME_S - Math.floor((Date.now() - madeAt) / 1000))
    setText(countdown, 'code.seconds', { s: left })
    countdown.dataset.seconds = String(left)
    bar.style.width = `${(left / CODE_LIFETIME_S) * 100}%`
    offline.hidden = navigator.onLine
    if (left === 0) remake()
  }

  refresh.addEventListener('click', remake)
  const onCredential = () => remake()
  const onVisible = () => { if (document.visibilityState === 'visible') remake() }

  function start () {
    remake().then(tick)
    timer = setInterval(tick, 1000)
    document.addEventListener('citycode:credential', onCredential)
    document.addEventListener('visibilitychange', onVisible)
    const stopLang = onLangChange(() => ctx.state.device && renderMeta(meta, ctx.state.device))
    return () => {
      stopLang()
      stopped = true
      clearInterval(timer)
      document.removeEventListener('citycode:credential', onCredential)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }
  return { card, start }
}

function renderMeta (meta, device) {
  const row = (labelKey, value, testid) => [h('dt', { t: labelKey }), h('dd', { testid }, value)]
  meta.replaceChildren(
    ...row('code.riderCategory', h('span', { t: `rider.${device.riderCategory ?? 'adult'}` }), 'rider-category'),
    ...row('code.validUntil', formatDateTime(device.expiresAt), 'credential-expires'),
    ...row('code.keyType', device.keyAlgorithm === 'Ed25519' ? 'Ed25519' : 'ECDSA P-256', 'key-type')
  )
}

// Asks to verify the identity while the account is only a claim.
function renderBanners (ctx) {
  const box = h('div', { class: 'banners' })
  if (!ctx.state.session || !navigator.onLine) return box
  ctx.api.get('/v1/me/identity').then((identity) => {
    if (identity.level !== 'none') return
    box.append(h('p', { class: 'notice', testid: 'identity-banner' },
      h('span', { t: 'code.identityBanner' }), ' ',
      h('button', { type: 'button', class: 'button button--link', t: 'identity.start', testid: 'identity-start', onclick: () => ctx.show('identity') })))
  }).catch(() => {})
  return box
}
