// What the access scene's files share: the scene's state and the row
// helpers. Private to scenes/access.
#ifndef CITYCODE_SCENES_ACCESS_INTERNAL_CORE_H_
#define CITYCODE_SCENES_ACCESS_INTERNAL_CORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "code/credential.h"
#include "scenes/access/access.h"

namespace citycode::access {

// The newest signed list of a site, with what its freshness needs.
struct Published {
  std::uint64_t version = 0;
  std::int64_t change_seq = 0;  // the site's change it was made at
  std::int64_t site_change_seq = 0;
  Instant issued_at{};
  Instant expires_at{};
  std::string document;
  std::uint64_t delta_floor = 0;
};

struct AccessScene::Impl {
  store::Database& db;
  const Clock& clock;
  platform::Platform& platform;
  const platform::Keyring& keyring;
  CityTime time;
  AccessOptions options;

  // The site, configured for access; not_found for another organisation's
  // (`org_id` empty: any), failed_precondition site_not_configured.
  Result<Site> LoadSite(store::Transaction& tx, std::string_view site_id,
                        std::string_view org_id = {}) const;
  // The gate's own site, or permission_denied (not_an_access_terminal,
  // site_other when `site_id` is another).
  Result<Site> GateSite(store::Transaction& tx, const platform::Principal& gate,
                        std::string_view site_id) const;
  // In `tx`: a place of the slot for a verified citizen, booked ahead or (a
  // walk-in) from the slot's quota at the gate.
  Result<Booking> BookSlot(store::Transaction& tx, std::string_view slot_id,
                           std::string_view citizen_id, bool walk_in) const;
  // In `tx`, holding the site's row: a new version of its list, recording
  // which entries it added and removed.
  Result<Published> Publish(store::Transaction& tx, const Site& site,
                            const std::optional<Published>& previous) const;
  // The full list, or the delta from `since` to `published`.
  Result<SignedAllowList> Answer(store::Transaction& tx, std::string_view site_id,
                                 const Published& published,
                                 std::optional<std::uint64_t> since) const;
};

// The aad a member's sealed name is bound to.
std::string MemberAad(std::string_view id);

// A pass's id is "pass_" + hex of the 16 bytes a printed pass carries as
// its cti.
std::string PassIdOf(const code::CredentialId& id);
Result<code::CredentialId> PrintedPassId(std::string_view pass_id);

// What a site's list holds changed: its next download makes a new version.
Status MarkChanged(store::Transaction& tx, std::string_view site_id);

// "SELECT <a site's columns>[, extra] FROM …": SiteOf reads the first ones.
std::string SiteSelect(std::string_view extra_columns = {});
Result<Site> SiteOf(const store::Row& row);

}  // namespace citycode::access

#endif  // CITYCODE_SCENES_ACCESS_INTERNAL_CORE_H_
