// What the service hall's steps share: is this terminal a window or a
// kiosk, and which service items the hall offers.
export function hallRole (terminal) {
  if (terminal.scene !== 'gov') return null
  if ('window' in terminal) return terminal.window ? 'window' : 'kiosk'
  // A server that does not say: the operator chose at sign-in (counter app).
  return terminal.hallRole ?? 'kiosk'
}

// The hall's service items, from what the API offers: GET /v1/terminal's
// service_items (or its window's), else GET /v1/gov/service-items; [] when
// none tells (the kiosk then takes an item id typed in).
export async function hallServiceItems (ctx) {
  const { terminal } = ctx
  const listed = terminal.service_items ?? terminal.hall?.service_items ?? terminal.window?.service_items
  if (Array.isArray(listed) && listed.every((item) => typeof item === 'object')) return listed
  try {
    return (await ctx.api.get('/v1/gov/service-items')).service_items ?? []
  } catch {
    return []
  }
}
