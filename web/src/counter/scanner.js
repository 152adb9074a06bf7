// Reading codes at the counter: the camera through zxing-wasm's reader (its
// .wasm served from our own origin, never a CDN), a picture file, or the
// text typed or pasted (a hand scanner types it too).
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader'
import { h, field } from '../lib/dom.js'
import { t } from '../lib/i18n.js'

const WASM_PATH = '/assets/zxing_reader.wasm'
const SCAN_INTERVAL_MS = 200
const SAME_CODE_PAUSE_MS = 4000

prepareZXingModule({
  overrides: {
    locateFile: (path, prefix) => (path.endsWith('.wasm') ? new URL(WASM_PATH, self.location.origin).href : prefix + path)
  }
})

const READ_OPTIONS = { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 1 }

// The first QR text in an image (ImageData, Blob or File), or null.
export async function decodeImage (image) {
  const results = await readBarcodes(image, READ_OPTIONS)
  return results.find((r) => r.isValid)?.text ?? null
}

// The scan card: camera, picture and text. onCode(text) is awaited before
// the next code is taken; action = {label, testid} names the submit button.
export function scanner ({ onCode, action }) {
  let busy = false
  let stream = null
  let timer = null
  let lastText = ''
  let lastAt = 0

  const submitCode = async (text, source) => {
    const code = text.trim()
    if (!code || busy) return
    busy = true
    try { await onCode(code, source) } finally { busy = false }
  }

  const video = h('video', { playsinline: true, muted: true, testid: 'camera-video', tAttrs: { 'aria-label': 'scan.cameraLabel' } })
  const camera = h('div', { class: 'camera', hidden: true }, video, h('div', { class: 'camera__frame', 'aria-hidden': 'true' }))
  const cameraStatus = h('p', { class: 'status', role: 'status', testid: 'camera-status' })
  const startButton = h('button', { type: 'button', class: 'button button--secondary', t: 'scan.startCamera', testid: 'camera-start' })
  const stopButton = h('button', { type: 'button', class: 'button button--secondary', t: 'scan.stopCamera', testid: 'camera-stop', hidden: true })
  // The file input is hidden behind its label, styled as a button, so the
  // browser's own (untranslated) "Choose file" text never shows.
  const picture = {
    input: h('input', { id: 'scan-picture', type: 'file', accept: 'image/*', class: 'visually-hidden', testid: 'scan-picture' })
  }
  picture.row = h('div', { class: 'file-pick' }, picture.input,
    h('label', { for: 'scan-picture', class: 'button button--secondary', t: 'scan.picture' }))
  const text = field({ id: 'scan-text', label: 'scan.text', testid: 'code-input', type: 'textarea', rows: '3', spellcheck: 'false', autocomplete: 'off' })
  const submit = h('button', { type: 'submit', class: 'button button--primary button--big', t: action.label, testid: action.testid })
  const form = h('form', { class: 'form', testid: 'code-form', novalidate: true }, text.row, h('div', { class: 'actions' }, submit))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    submit.disabled = true
    await submitCode(text.input.value, 'typed')
    submit.disabled = false
    text.input.value = ''
    text.input.focus()
  })
  // A hand scanner types the code and Enter: submit on Enter, newline never needed.
  text.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); form.requestSubmit() }
  })
  picture.input.addEventListener('change', async () => {
    const file = picture.input.files?.[0]
    if (!file) return
    cameraStatus.textContent = t('scan.reading')
    const found = await decodeImage(file).catch(() => null)
    cameraStatus.textContent = found ? '' : t('scan.noCodeInPicture')
    picture.input.value = ''
    if (found) await submitCode(found, 'picture')
  })

  async function scanFrame (canvas, context) {
    if (!stream) return
    if (!busy && video.readyState >= 2 && video.videoWidth) {
      canvas.width = video.videoWidth
      canvas.height = video.videoHeight
      context.drawImage(video, 0, 0)
      const found = await decodeImage(context.getImageData(0, 0, canvas.width, canvas.height)).catch(() => null)
      const now = Date.now()
      if (found && !(found === lastText && now - lastAt < SAME_CODE_PAUSE_MS)) {
        lastText = found
        lastAt = now
        await submitCode(found, 'camera')
      }
    }
    timer = setTimeout(() => scanFrame(canvas, context), SCAN_INTERVAL_MS)
  }

  async function startCamera () {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
    } catch {
      cameraStatus.textContent = t('scan.noCamera')
      return
    }
    video.srcObject = stream
    await video.play().catch(() => {})
    camera.hidden = false
    startButton.hidden = true
    stopButton.hidden = false
    cameraStatus.textContent = t('scan.cameraOn')
    const canvas = document.createElement('canvas')
    scanFrame(canvas, canvas.getContext('2d', { willReadFrequently: true }))
  }

  function stopCamera () {
    clearTimeout(timer)
    stream?.getTracks().forEach((track) => track.stop())
    stream = null
    camera.hidden = true
    startButton.hidden = false
    stopButton.hidden = true
    cameraStatus.textContent = ''
  }

  startButton.addEventListener('click', startCamera)
  stopButton.addEventListener('click', stopCamera)

  const card = h('section', { class: 'card scan-area', 'aria-labelledby': 'scan-title' },
    h('h2', { id: 'scan-title', t: 'scan.title' }),
    h('div', { class: 'actions' }, startButton, stopButton, picture.row), camera, cameraStatus, form)
  return { card, stop: stopCamera, submitCode }
}
