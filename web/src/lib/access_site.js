// The access scene's shared bits on the citizen page.

// The scope of its error words (errors.js): error.access.<code> first, as
// the medical scene says already_booked of a clinician's session.
export const ACCESS = 'access'

// A site's name as the citizen knows it: its organisation's and its own
// ("鹤山风景区 · 东门") when the answer names the organisation (`org_name`),
// else its own.
export function siteName (site, orgName) {
  return [orgName, site].filter(Boolean).join(' · ')
}
