// What the service hall's steps share: is this terminal a window or a
// kiosk, and which service items the hall offers.
// GET /v1/gov/terminal says (counter/app.js loadTerminal puts its `window`
// on the terminal: null for the kiosk).
export function hallRole (terminal) {
  if (terminal.scene !== 'gov') return null
  if ('window' in terminal) return terminal.window ? 'window' : 'kiosk'
  // A server that does not say: the clerk chose (counter app's picker).
  return terminal.hallRole ?? 'kiosk'
}

// The hall's service items: GET /v1/gov/terminal's service_items (the
// window's own, else all of the hall's), else GET /v1/gov/service-items;
// [] when none tells (the kiosk then takes an item id typed in).
export async function hallServiceItems (ctx) {
  const { terminal } = ctx
  const listed = terminal.service_items
  if (Array.isArray(listed) && listed.every((item) => typeof item === 'object')) return listed
  try {
    return (await ctx.api.get('/v1/gov/service-items')).service_items ?? []
  } catch {
    return []
  }
}
