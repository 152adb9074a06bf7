// Builds web/dist: the four pages' bundles (citizen, counter, org, ops;
// esbuild, minified, fixed names), their HTML and CSS (the ops page's own
// sheet bundles uPlot's), the manifest and icons, the service worker with
// the shell's file list and hash, and the QR decoder's wasm (counter page
// only), served from our origin. Prints the citizen page's first-load gzip
// size. Only the citizen page is in the service worker's shell: the counter,
// organisation and operator pages are used online.
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32, deflateSync, gzipSync } from 'node:zlib'

const root = dirname(fileURLToPath(import.meta.url))
const dist = join(root, 'dist')
const at = (...parts) => join(dist, ...parts)

// What the citizen page needs to open offline (and what its first load is).
const SHELL = ['/', '/assets/citizen.js', '/assets/styles.css', '/manifest.webmanifest',
  '/icons/icon.svg', '/icons/icon-192.png']
const FIRST_LOAD = ['index.html', 'assets/citizen.js', 'assets/styles.css', 'manifest.webmanifest']

rmSync(dist, { recursive: true, force: true })
mkdirSync(at('assets'), { recursive: true })
mkdirSync(at('icons'), { recursive: true })

await build({
  entryPoints: { citizen: join(root, 'src/citizen.js'), counter: join(root, 'src/counter.js'), org: join(root, 'src/org.js'),
    ops: join(root, 'src/ops.js'),
    styles: join(root, 'src/styles.css'),
    'ops-styles': join(root, 'src/ops.css')
  },
  outdir: at('assets'),
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['chrome109', 'safari16', 'firefox115'],
  legalComments: 'external',
  logLevel: 'warning'
})

for (const file of ['index.html', 'counter.html', 'org.html', 'ops.html', 'manifest.webmanifest']) copyFileSync(join(root, 'static', file), at(file))
copyFileSync(join(root, 'static/icon.svg'), at('icons/icon.svg'))
writeFileSync(at('icons/icon-192.png'), iconPng(192, false))
writeFileSync(at('icons/icon-512.png'), iconPng(512, false))
writeFileSync(at('icons/icon-maskable-512.png'), iconPng(512, true))
copyFileSync(join(root, 'node_modules/zxing-wasm/dist/reader/zxing_reader.wasm'), at('assets/zxing_reader.wasm'))

const shellHash = createHash('sha256')
for (const path of SHELL) shellHash.update(readFileSync(at(path === '/' ? 'index.html' : path.slice(1))))
await build({
  entryPoints: [join(root, 'src/sw.js')],
  outfile: at('sw.js'),
  bundle: true,
  minify: true,
  target: ['chrome109', 'safari16', 'firefox115'],
  define: { SHELL_FILES: JSON.stringify(SHELL), SHELL_VERSION: JSON.stringify(shellHash.digest('hex').slice(0, 16)) },
  logLevel: 'warning'
})

report()

function report () {
  let total = 0
  for (const file of FIRST_LOAD) {
    const size = gzipSync(readFileSync(at(file)), { level: 9 }).length
    total += size
    console.log(`  ${file.padEnd(24)} ${(size / 1024).toFixed(1).padStart(6)} kB gzip`)
  }
  console.log(`  citizen first load      ${(total / 1024).toFixed(1).padStart(6)} kB gzip (budget 250)`)
  const files = walk(dist).map((file) => `${relative(dist, file)} ${statSync(file).size}`)
  console.log(`built ${files.length} files into ${relative(process.cwd(), dist) || '.'}`)
}

function walk (dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)])
}

// The icon of static/icon.svg drawn as a PNG (no image library needed): a
// blue tile, a white card and three finder squares, in a 64-unit design.
function iconPng (size, maskable) {
  const pixels = Buffer.alloc(size * (size * 4 + 1))
  const scale = (maskable ? 80 : 64) / size // maskable: the design sits in the safe zone
  const offset = maskable ? 8 : 0
  for (let y = 0; y < size; y++) {
    pixels[y * (size * 4 + 1)] = 0 // filter: none
    for (let x = 0; x < size; x++) {
      const color = iconColor(x * scale - offset, y * scale - offset, maskable) ?? [0, 0, 0, 0]
      pixels.set(color, y * (size * 4 + 1) + 1 + x * 4)
    }
  }
  return png(size, pixels)
}

function iconColor (u, v, fullBleed) {
  const BLUE = [11, 79, 138, 255]
  const WHITE = [255, 255, 255, 255]
  const GOLD = [224, 161, 0, 255]
  const inRect = (x, y, w, h, r = 0) => {
    if (u < x || v < y || u >= x + w || v >= y + h) return false
    const cx = Math.min(Math.max(u, x + r), x + w - r)
    const cy = Math.min(Math.max(v, y + r), y + h - r)
    return (u - cx) ** 2 + (v - cy) ** 2 <= r * r
  }
  if (!fullBleed && !inRect(0, 0, 64, 64, 14)) return null
  if (!inRect(10, 10, 44, 44, 6)) return BLUE
  for (const [x, y] of [[14, 14], [36, 14], [14, 36]]) {
    if (inRect(x + 4, y + 4, 6, 6)) return WHITE
    if (inRect(x, y, 14, 14, 2)) return BLUE
  }
  if (inRect(45, 45, 5, 5)) return GOLD
  if (inRect(38, 38, 5, 5) || inRect(45, 38, 5, 5) || inRect(38, 45, 5, 5)) return BLUE
  return WHITE
}

function png (size, raw) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8-bit RGBA
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}
