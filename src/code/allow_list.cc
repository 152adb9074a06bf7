// Allow-lists (allow_list.h): the JSON form, signing, verifying and deltas.
#include "code/allow_list.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "code/internal/signed_list.h"
#include "crypto/hash.h"

namespace citycode::code {
namespace {

using nlohmann::json;

constexpr std::string_view kListType = "citycode-allow-list";
constexpr std::string_view kDeltaType = "citycode-allow-list-delta";
constexpr std::size_t kMaxSiteBytes = 64;
constexpr std::size_t kMaxWindows = 100'000;
constexpr std::uint64_t kMaxEntries = 1000;

// Entries grouped by window, each window's hashes sorted.
json WindowsOf(const std::vector<AllowEntry>& entries) {
  std::map<std::tuple<Instant, Instant, std::uint32_t>, std::vector<internal::Hash128>> windows;
  for (const AllowEntry& entry : entries) {
    windows[{entry.valid_from, entry.valid_until, entry.entries}].push_back(entry.hash);
  }
  json out = json::array();
  for (auto& [window, hashes] : windows) {
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    json item = {{"from", FormatRfc3339(std::get<0>(window))},
                 {"until", FormatRfc3339(std::get<1>(window))}};
    if (std::get<2>(window) != 0) item["entries"] = std::get<2>(window);
    item["cti_sha256_128"] = internal::HashArray(hashes);
    out.push_back(std::move(item));
  }
  return out;
}

Result<std::vector<AllowEntry>> ParseWindows(const json& payload, const char* field) {
  auto windows = payload.find(field);
  if (windows == payload.end() || !windows->is_array() || windows->size() > kMaxWindows) {
    return InvalidArgument(std::string("allow-list field ") + field + " is missing or not a list");
  }
  std::vector<AllowEntry> entries;
  for (const json& window : *windows) {
    if (!window.is_object()) return InvalidArgument("allow-list window is not an object");
    CITYCODE_ASSIGN_OR_RETURN(Instant from, internal::GetTime(window, "from"));
    CITYCODE_ASSIGN_OR_RETURN(Instant until, internal::GetTime(window, "until"));
    if (until <= from) return InvalidArgument("allow-list window ends before it starts");
    std::uint32_t limit = 0;
    if (auto it = window.find("entries"); it != window.end()) {
      if (!it->is_number_unsigned() || it->get<std::uint64_t>() == 0 ||
          it->get<std::uint64_t>() > kMaxEntries) {
        return InvalidArgument("allow-list window entries is not 1-1000");
      }
      limit = it->get<std::uint32_t>();
    }
    auto hashes = window.find("cti_sha256_128");
    if (hashes == window.end()) return InvalidArgument("allow-list window has no cti_sha256_128");
    CITYCODE_ASSIGN_OR_RETURN(std::vector<internal::Hash128> parsed,
                              internal::ParseHashes(*hashes));
    for (const internal::Hash128& hash : parsed) entries.push_back({hash, from, until, limit});
  }
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

Status CheckCommon(std::string_view site, Instant issued_at, Instant expires_at,
                   const std::vector<AllowEntry>& entries) {
  if (site.empty() || site.size() > kMaxSiteBytes) {
    return InvalidArgument("allow-list site must be 1-64 bytes");
  }
  if (expires_at <= issued_at) return InvalidArgument("list expires before it is issued");
  for (const AllowEntry& entry : entries) {
    if (entry.valid_until <= entry.valid_from) {
      return InvalidArgument("allow-list entry ends before it starts");
    }
    if (entry.entries > kMaxEntries) return InvalidArgument("allow-list entries is above 1000");
  }
  return OkStatus();
}

json Header(std::string_view type, std::string_view site, std::uint64_t version, Instant issued_at,
            Instant expires_at) {
  return {{"type", type},
          {"version", version},
          {"site", site},
          {"issued_at", FormatRfc3339(issued_at)},
          {"expires_at", FormatRfc3339(expires_at)}};
}

Result<std::string> ParseSite(const json& payload) {
  CITYCODE_ASSIGN_OR_RETURN(std::string site, internal::GetString(payload, "site"));
  if (site.empty() || site.size() > kMaxSiteBytes) {
    return InvalidArgument("allow-list site must be 1-64 bytes");
  }
  return site;
}

}  // namespace

AllowHash AllowHashFor(const CredentialId& cti) {
  const crypto::Digest digest = crypto::Sha256(cti);
  AllowHash hash;
  std::copy_n(digest.begin(), hash.size(), hash.begin());
  return hash;
}

std::vector<const AllowEntry*> AllowList::Find(const CredentialId& cti, Instant at) const {
  const AllowHash hash = AllowHashFor(cti);
  std::vector<const AllowEntry*> found;
  auto it = std::lower_bound(entries.begin(), entries.end(), AllowEntry{.hash = hash});
  for (; it != entries.end() && it->hash == hash; ++it) {
    if (it->valid_from <= at && at < it->valid_until) found.push_back(&*it);
  }
  return found;
}

Result<std::string> SignAllowList(const AllowList& list, const crypto::PrivateKey& root) {
  CITYCODE_RETURN_IF_ERROR(CheckCommon(list.site, list.issued_at, list.expires_at, list.entries));
  json payload = Header(kListType, list.site, list.version, list.issued_at, list.expires_at);
  payload["windows"] = WindowsOf(list.entries);
  return internal::SignJws(payload, root);
}

Result<std::string> SignAllowListDelta(const AllowListDelta& delta,
                                       const crypto::PrivateKey& root) {
  CITYCODE_RETURN_IF_ERROR(CheckCommon(delta.site, delta.issued_at, delta.expires_at, delta.added));
  if (delta.version <= delta.base_version) {
    return InvalidArgument("a delta's version must be above its base");
  }
  json payload = Header(kDeltaType, delta.site, delta.version, delta.issued_at, delta.expires_at);
  payload["base_version"] = delta.base_version;
  payload["added"] = WindowsOf(delta.added);
  payload["removed"] = WindowsOf(delta.removed);
  return internal::SignJws(payload, root);
}

Result<AllowList> VerifyAllowList(std::string_view jws, const crypto::PublicKey& root) {
  CITYCODE_ASSIGN_OR_RETURN(json payload, internal::VerifyJws(jws, root));
  AllowList list;
  CITYCODE_RETURN_IF_ERROR(internal::ParseHeaderFields(payload, kListType, list.version,
                                                       list.issued_at, list.expires_at));
  CITYCODE_ASSIGN_OR_RETURN(list.site, ParseSite(payload));
  CITYCODE_ASSIGN_OR_RETURN(list.entries, ParseWindows(payload, "windows"));
  return list;
}

Result<AllowListDelta> VerifyAllowListDelta(std::string_view jws, const crypto::PublicKey& root) {
  CITYCODE_ASSIGN_OR_RETURN(json payload, internal::VerifyJws(jws, root));
  AllowListDelta delta;
  CITYCODE_RETURN_IF_ERROR(internal::ParseHeaderFields(payload, kDeltaType, delta.version,
                                                       delta.issued_at, delta.expires_at));
  CITYCODE_ASSIGN_OR_RETURN(delta.site, ParseSite(payload));
  auto base = payload.find("base_version");
  if (base == payload.end() || !base->is_number_unsigned()) {
    return InvalidArgument("delta field base_version is missing or not a whole number");
  }
  delta.base_version = base->get<std::uint64_t>();
  if (delta.version <= delta.base_version) {
    return InvalidArgument("a delta's version must be above its base");
  }
  CITYCODE_ASSIGN_OR_RETURN(delta.added, ParseWindows(payload, "added"));
  CITYCODE_ASSIGN_OR_RETURN(delta.removed, ParseWindows(payload, "removed"));
  return delta;
}

Result<AllowList> ApplyDelta(const AllowList& list, const AllowListDelta& delta) {
  if (delta.site != list.site) {
    return FailedPrecondition("the delta is for another site", "list_other_site");
  }
  if (delta.base_version != list.version) {
    return FailedPrecondition("the delta is for another version", "delta_base_mismatch");
  }
  std::vector<AllowEntry> kept;
  kept.reserve(list.entries.size());
  std::set_difference(list.entries.begin(), list.entries.end(), delta.removed.begin(),
                      delta.removed.end(), std::back_inserter(kept));
  if (kept.size() + delta.removed.size() != list.entries.size()) {
    return InvalidArgument("the delta removes an entry the list does not hold");
  }
  AllowList out{.site = list.site,
                .version = delta.version,
                .issued_at = delta.issued_at,
                .expires_at = delta.expires_at};
  out.entries.reserve(kept.size() + delta.added.size());
  std::set_union(kept.begin(), kept.end(), delta.added.begin(), delta.added.end(),
                 std::back_inserter(out.entries));
  if (out.entries.size() != kept.size() + delta.added.size()) {
    return InvalidArgument("the delta adds an entry the list holds");
  }
  return out;
}

}  // namespace citycode::code
