// Draws a code as a QR: one alphanumeric segment (the CC1 text is all in
// that set), error correction M, as DESIGN.md says and the C++ draws it.
import QRCode from 'qrcode'

// width: the canvas's pixel width (its CSS size times devicePixelRatio), so
// modules land on whole device pixels as nearly as possible.
export async function drawQr (canvas, text, { width = 720, margin = 4 } = {}) {
  await QRCode.toCanvas(canvas, [{ data: text, mode: 'alphanumeric' }], {
    errorCorrectionLevel: 'M',
    margin,
    width,
    color: { dark: '#000000', light: '#ffffff' }
  })
  // The library sizes the canvas inline; the stylesheet sizes it instead.
  canvas.style.removeProperty('width')
  canvas.style.removeProperty('height')
  return canvas
}
