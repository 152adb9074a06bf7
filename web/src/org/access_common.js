// What the access views share (kind access_site; access/access_routes.cc):
// the organisation's sites (GET /v1/orgs/{org}/sites) with their access
// setup where they have one (GET …/access/sites: policy staff |
// reservations | residents, opens, closes — HH:MM, the city's —,
// anti_passback, allow_cards), and a site choice that keeps what was chosen
// across reloads.
import { h, field } from '../lib/dom.js'
import { loadSites, orgPath } from './org_api.js'
import { offerChoices } from './forms.js'

// [{id, name, policy (null: not configured), opens, closes, anti_passback, allow_cards}]
export async function loadAccessSites (ctx) {
  const [sites, access] = await Promise.all([loadSites(ctx), ctx.api.get(orgPath(ctx, 'access', 'sites'))])
  const setup = new Map((access.sites ?? []).map((site) => [site.id, site]))
  return sites.map((site) => {
    const { policy = null, opens, closes, anti_passback: antiPassback = false, allow_cards: allowCards = false } = setup.get(site.id) ?? {}
    return { id: site.id, name: site.name, policy, opens, closes, anti_passback: antiPassback, allow_cards: allowCards }
  })
}

// A labelled site select; offer(sites) fills it with those `accepts` takes,
// choosing the first when none is chosen (one site is the usual case).
export function siteChoice ({ id, testid, accepts = () => true }) {
  const choice = field({ id, label: 'org.access.site', testid, type: 'select' })
  const offer = (sites) => {
    const taken = sites.filter(accepts)
    offerChoices(choice.input, 'org.access.pickSite', taken.map((site) => ({ value: site.id, label: site.name, data: { policy: site.policy ?? '' } })))
    if (!choice.input.value && taken.length) choice.input.value = taken[0].id
    return taken
  }
  return { ...choice, offer }
}

// A site's policy in words, or "not set up yet".
export function policyBadge (site) {
  return h('span', { class: `badge ${site.policy ? 'badge--ok' : 'badge--muted'}`, testid: 'access-site-policy', t: site.policy ? `org.access.policy.${site.policy}` : 'org.access.notConfigured' })
}
