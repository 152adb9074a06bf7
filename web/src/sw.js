// The service worker (/sw.js): keeps the citizen page's shell, so that with
// the network cut a reload still opens the page, which then makes codes from
// the stored credential. The API is never cached. The build fills in
// SHELL_FILES and SHELL_VERSION (a hash of the shell), so a new build
// installs a new cache and drops the old one.
/* global SHELL_FILES, SHELL_VERSION */
const CACHE = `citycode-shell-${SHELL_VERSION}`

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((key) => key.startsWith('citycode-shell-') && key !== CACHE).map((key) => caches.delete(key))))
    .then(() => self.clients.claim()))
})

// Shell files: from the cache at once, refreshed from the network behind.
self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin || !SHELL_FILES.includes(url.pathname)) return
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const cached = await cache.match(url.pathname)
    const fresh = fetch(request).then((response) => {
      if (response.ok) cache.put(url.pathname, response.clone())
      return response
    })
    if (!cached) return fresh
    event.waitUntil(fresh.catch(() => {}))
    return cached
  }))
})
