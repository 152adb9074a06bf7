// The first CC1 level: a credential the platform issues to one device of one
// citizen (a CWT in a COSE_Sign1 signed by a platform signing key).
#ifndef CITYCODE_CODE_CREDENTIAL_H_
#define CITYCODE_CODE_CREDENTIAL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "code/cose.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::code {

// Where a code is shown. The numbers are the CC1 wire values.
enum class Scene : std::uint8_t { kGov = 1, kTransit = 2, kMedical = 3, kHotel = 4, kAccess = 5 };
// How the citizen holds the code. The numbers are the CC1 wire values.
enum class Channel : std::uint8_t { kApp = 1, kWechat = 2, kAlipay = 3, kCard = 4 };
// Fare concession class, set at issuance so gates decide offline.
enum class RiderCategory : std::uint8_t { kAdult = 0, kSenior = 1, kStudent = 2, kDisabled = 3 };

std::string_view SceneName(Scene scene);  // "gov", "transit", ...
Result<Scene> SceneFromName(std::string_view name);
// "transit,hotel" → sorted, without duplicates; invalid_argument on an
// unknown or empty name.
Result<std::vector<Scene>> ParseSceneList(std::string_view names);
std::string_view ChannelName(Channel channel);  // "app", "wechat", "alipay", "card"
Result<Channel> ChannelFromName(std::string_view name);
std::string_view RiderCategoryName(RiderCategory category);  // "adult", ...
Result<RiderCategory> RiderCategoryFromName(std::string_view name);

inline constexpr std::size_t kCredentialIdSize = 16;
using CredentialId = std::array<std::uint8_t, kCredentialIdSize>;  // CWT cti
using Subject = std::array<std::uint8_t, 16>;  // CWT sub: random, fresh per credential

struct CredentialClaims {
  std::string issuer;  // "citycode:jimo"
  Subject subject{};
  Instant issued_at{};
  Instant expires_at{};
  CredentialId id{};
  // The device's key (cnf). Absent only on a printed card.
  std::optional<crypto::PublicKey> device_key;
  std::vector<Scene> scenes;  // sorted, unique, not empty
  Channel channel = Channel::kApp;
  std::optional<RiderCategory> rider_category;
  // A guardian's phone holds it for a dependant (a child, a ward): the
  // dependant's own credential, shown by the guardian.
  bool held_by_guardian = false;
};

// Encodes `claims` as CWT claims (deterministic CBOR) and signs them with
// `signer`, whose key id goes into the protected header. invalid_argument if
// the claims are incomplete (no scenes, expiry not after issuance, empty
// issuer).
Result<Bytes> IssueCredential(const CredentialClaims& claims, const crypto::PrivateKey& signer);

// A credential as decoded; its signature is NOT checked here.
struct Credential {
  CoseSign1 envelope;
  CredentialClaims claims;
};

// Strictly decodes a tagged COSE_Sign1 whose payload is a CC1 credential.
// invalid_argument when the bytes are not one (for example a presentation).
Result<Credential> ParseCredential(ByteView bytes);
// The claims of a CWT payload (the part ParseCredential decodes).
Result<CredentialClaims> ParseCredentialClaims(ByteView payload);

}  // namespace citycode::code

#endif  // CITYCODE_CODE_CREDENTIAL_H_
