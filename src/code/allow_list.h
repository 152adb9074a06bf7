// The allow-list of one access site (scenes/access): which credentials an
// offline gate admits, and when. A JSON payload in a flattened JWS signed by
// the platform root key, like the trust list, so any JOSE library checks it
// against root.pem:
//
//   {"type": "citycode-allow-list", "version": N, "site": "site_…",
//    "issued_at": RFC 3339, "expires_at": RFC 3339,
//    "windows": [{"from": RFC 3339, "until": RFC 3339, ? "entries": N,
//                 "cti_sha256_128": [hex(first 16 bytes of SHA-256(cti)), …]}]}
//
// An entry admits a code whose credential id hashes to it from `from` up to
// (not including) `until`, at most `entries` times at one gate when the
// window says so (a visitor pass); entries are grouped by window, so a staff
// list is one window and a scenic area's list one per slot. The version only grows;
// `issued_at` is the gate's clock floor and after `expires_at` the gate
// admits nobody. A delta carries the changes since `base_version`:
//
//   {"type": "citycode-allow-list-delta", "version": N, "base_version": M,
//    "site", "issued_at", "expires_at", "added": [windows], "removed": [windows]}
#ifndef CITYCODE_CODE_ALLOW_LIST_H_
#define CITYCODE_CODE_ALLOW_LIST_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "code/credential.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::code {

// The first 16 bytes of SHA-256 of a cti, as on the revocation list.
using AllowHash = std::array<std::uint8_t, 16>;
AllowHash AllowHashFor(const CredentialId& cti);

struct AllowEntry {
  AllowHash hash{};
  Instant valid_from{};
  Instant valid_until{};      // exclusive
  std::uint32_t entries = 0;  // passages a gate allows; 0: any number
  auto operator<=>(const AllowEntry&) const = default;
};

struct AllowList {
  std::string site;
  std::uint64_t version = 0;
  Instant issued_at{};
  Instant expires_at{};
  std::vector<AllowEntry> entries;  // sorted, unique

  // The entries for `cti` whose window holds `at` (the list's own expiry is
  // the gate's to check).
  std::vector<const AllowEntry*> Find(const CredentialId& cti, Instant at) const;
};

struct AllowListDelta {
  std::string site;
  std::uint64_t base_version = 0;  // the version it applies to
  std::uint64_t version = 0;       // the version it makes
  Instant issued_at{};
  Instant expires_at{};
  std::vector<AllowEntry> added;    // sorted, unique
  std::vector<AllowEntry> removed;  // sorted, unique
};

// invalid_argument if the list is inconsistent (expiry before issuance, an
// empty site, an entry whose window ends before it starts; a delta whose
// version is not above its base).
Result<std::string> SignAllowList(const AllowList& list, const crypto::PrivateKey& root);
Result<std::string> SignAllowListDelta(const AllowListDelta& delta, const crypto::PrivateKey& root);

// Verify the JWS with the root key and parse the payload: unauthenticated
// for a bad signature, invalid_argument for a malformed payload or one of
// another type.
Result<AllowList> VerifyAllowList(std::string_view jws, const crypto::PublicKey& root);
Result<AllowListDelta> VerifyAllowListDelta(std::string_view jws, const crypto::PublicKey& root);

// `list` with `delta`'s changes, in one merge pass. failed_precondition
// "list_other_site" / "delta_base_mismatch" when the delta is for another
// site or another version; invalid_argument when it removes an entry the
// list lacks or adds one it has.
Result<AllowList> ApplyDelta(const AllowList& list, const AllowListDelta& delta);

}  // namespace citycode::code

#endif  // CITYCODE_CODE_ALLOW_LIST_H_
