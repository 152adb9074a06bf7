// What the organisation page's views share: the organisation's routes, the
// server's text limits checked before sending (so a refusal is in words,
// not the server's English), and the sites by id.

// /v1/orgs/{org}/…: the path under the signed-in organisation.
export function orgPath (ctx, ...parts) {
  return ['/v1/orgs', ctx.org.id, ...parts].map((part, i) => (i ? encodeURIComponent(part) : part)).join('/')
}

// The server counts UTF-8 bytes (a Chinese character is three).
export function byteLength (text) {
  return new TextEncoder().encode(text).length
}

// A name the server takes: 1 to max bytes, no control characters (a text
// field holds none). → null, or the error code to show.
export function nameProblem (name, max, missingCode, longCode) {
  if (!name) return missingCode
  return byteLength(name) > max ? longCode : null
}

export async function loadSites (ctx) {
  const { sites } = await ctx.api.get(orgPath(ctx, 'sites'))
  return sites ?? []
}

export async function loadTerminals (ctx) {
  const { terminals } = await ctx.api.get(orgPath(ctx, 'terminals'))
  return terminals ?? []
}

export function siteNames (sites) {
  return new Map(sites.map((site) => [site.id, site.name]))
}
