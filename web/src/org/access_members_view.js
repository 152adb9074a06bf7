// 人员 (a staff or residents site's members): GET
// /v1/orgs/{org}/access/sites/{site}/members (names, a resident's household;
// never an ID number), POST … {name (1-128 bytes), id_number (18),
// household (a resident's unit, 1-64 bytes; residents only)} → 201, by the
// person's verified identity: an unknown person or a wrong name is the one
// answer 404 person_not_registered; DELETE …/members/{id} (two steps):
// their codes leave the site's next allow-list. The ID number is typed,
// sent in the body and the field emptied once the member is added; it is
// never shown back, kept or put in a URL.
import { h, confirmButton, field, statusLine } from '../lib/dom.js'
import { showError, showStatus } from '../lib/errors.js'
import { formatDateTime, onLangChange } from '../lib/i18n.js'
import { panel } from '../lib/panel.js'
import { nameProblem, orgPath } from './org_api.js'
import { formCard, onSubmit } from './forms.js'
import { loadAccessSites, siteChoice } from './access_common.js'

const ID_NUMBER = /^\d{17}[\dX]$/
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

// GB 11643: 18 characters whose last is the check character of the others
// (the server checks the same; a typo is said here in words).
function idNumberOk (text) {
  if (!ID_NUMBER.test(text)) return false
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(text[i]), 0)
  return '10X98765432'[sum % 11] === text[17]
}

export function renderMembersView (main, ctx) {
  const site = siteChoice({ id: 'members-site', testid: 'members-site', accepts: (s) => s.policy === 'staff' || s.policy === 'residents' })
  const list = panel('access-members')
  let sites = null
  const policy = () => sites?.find((s) => s.id === site.input.value)?.policy
  const form = memberForm(ctx, () => site.input.value, policy, () => showMembers())
  // The sites are read once (and on a language switch); a site chosen reads its members.
  const showMembers = (fresh = false) => list.fill(async () => {
    if (fresh || !sites) sites = site.offer(await loadAccessSites(ctx))
    form.fit()
    if (!site.input.value) return { noSite: true }
    return { members: (await ctx.api.get(orgPath(ctx, 'access', 'sites', site.input.value, 'members'))).members ?? [] }
  }, ({ noSite, members }) => noSite
    ? h('p', { class: 'empty', testid: 'access-members-no-site', t: 'org.members.noSite' })
    : members.length ? h('ul', { class: 'cards' }, members.map((m) => memberCard(ctx, site.input.value, m, showMembers))) : null,
  'org.members.empty', ['org.members', 'org'])
  site.input.addEventListener('change', () => showMembers())
  main.append(h('h2', { t: 'org.members.title' }), h('p', { class: 'lead', t: 'org.members.lead' }),
    h('div', { class: 'form' }, site.row),
    h('section', { class: 'org-section', 'aria-labelledby': 'members-list-title' },
      h('h3', { id: 'members-list-title', t: 'org.members.list' }), list.body),
    form.element)
  showMembers(true)
  return onLangChange(() => showMembers(true))
}

function memberCard (ctx, siteId, member, reload) {
  const status = statusLine('access-member-status')
  return h('li', { class: 'card item', testid: 'access-member', dataset: { memberId: member.id } },
    h('h4', { class: 'item__title', testid: 'access-member-name' }, member.name),
    h('dl', { class: 'facts' },
      member.household ? [h('dt', { t: 'org.members.household' }), h('dd', { testid: 'access-member-household' }, member.household)] : null,
      h('dt', { t: 'org.members.since' }), h('dd', {}, formatDateTime(member.added_at))),
    confirmButton({
      label: 'org.members.remove',
      question: 'org.members.removeConfirm',
      confirmLabel: 'org.members.removeYes',
      testid: 'access-member-remove',
      action: async () => {
        try {
          await ctx.api.del(orgPath(ctx, 'access', 'sites', siteId, 'members', member.id))
          reload()
        } catch (error) {
          showError(status, error, ['org.memberRemove', 'org'])
        }
      }
    }),
    status)
}

function memberForm (ctx, siteId, policy, onAdded) {
  const name = field({ id: 'member-name', label: 'org.members.name', testid: 'member-name', autocomplete: 'off' })
  const idNumber = field({ id: 'member-id-number', label: 'org.members.idNumber', testid: 'member-id-number', autocomplete: 'off', spellcheck: 'false', maxlength: '18', 'aria-describedby': 'member-id-hint' })
  idNumber.row.append(h('p', { class: 'hint', id: 'member-id-hint', t: 'org.members.idNumberHint' }))
  const household = field({ id: 'member-household', label: 'org.members.household', testid: 'member-household', autocomplete: 'off', 'aria-describedby': 'member-household-hint' })
  household.row.append(h('p', { class: 'hint', id: 'member-household-hint', t: 'org.members.householdHint' }))
  const card = formCard({ testid: 'member-form', title: 'org.members.addTitle', rows: [name.row, idNumber.row, household.row], submitLabel: 'org.members.add', submitTestid: 'member-submit', statusTestid: 'member-status' })
  // Only a community's residents have a household.
  const fit = () => { household.row.hidden = policy() !== 'residents' }
  onSubmit(card, {
    check: () => {
      if (!siteId()) return 'org_site_missing'
      const nameCode = nameProblem(name.input.value.trim(), 128, 'org_member_name_missing', 'org_member_name_long')
      if (nameCode) return nameCode
      if (!idNumberOk(idNumber.input.value.trim().toUpperCase())) return 'org_id_number_invalid'
      if (policy() === 'residents') return nameProblem(household.input.value.trim(), 64, 'org_household_missing', 'org_household_long')
      return null
    },
    send: async () => {
      const body = { name: name.input.value.trim(), id_number: idNumber.input.value.trim().toUpperCase() }
      if (policy() === 'residents') body.household = household.input.value.trim()
      const member = await ctx.api.post(orgPath(ctx, 'access', 'sites', siteId(), 'members'), body)
      for (const input of [name.input, idNumber.input, household.input]) input.value = ''
      showStatus(card.status, 'org.members.added', { name: member.name })
      onAdded()
    },
    scope: 'org.memberAdd'
  })
  return { element: card.form, fit }
}
