// A citizen's devices and the credentials issued to them.
#ifndef CITYCODE_PLATFORM_DEVICES_H_
#define CITYCODE_PLATFORM_DEVICES_H_

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "code/credential.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"
#include "platform/identities.h"
#include "platform/principal.h"

namespace citycode::platform {

enum class DeviceState { kActive, kUnbound, kLost };
std::string_view DeviceStateName(DeviceState state);

struct Device {
  std::string id;
  std::string label;
  code::Channel channel = code::Channel::kApp;
  DeviceState state = DeviceState::kActive;
  crypto::KeyId key_id{};
  Instant created_at{};
  std::optional<Instant> ended_at;
  bool held_by_guardian = false;  // a guardian's phone holds it for this dependant
};

struct EnrolRequest {
  std::string citizen_id;
  crypto::PublicKey device_key;
  std::string label;
  code::Channel channel = code::Channel::kApp;  // from the calling channel's key
  // Set when a guardian's phone holds the device for `citizen_id`, a
  // dependant (vault.h): its credentials say so.
  std::string guardian_id;
};

struct IssuedCredential {
  std::string device_id;
  Bytes credential;  // the tagged COSE_Sign1 the phone keeps
  code::CredentialClaims claims;
};

// A credential an offline gate may admit for its citizen (scenes/access).
struct AdmissibleCredential {
  std::string citizen_id;
  code::CredentialId id{};
};

// The concession (student, disabled) that certificates held by a verified
// `person` give, read in the issuing transaction; nullopt for none. The
// vault provides it (vault.h), so the platform reads no certificate.
using ConcessionSource = std::function<Result<std::optional<code::RiderCategory>>(
    store::Transaction& tx, const Person& person)>;

class Devices {
 public:
  explicit Devices(PlatformCore& core) : core_(&core) {}

  // Binds the device key and issues its first credential. failed_precondition
  // (message "device limit reached") at max_devices_per_citizen live devices;
  // already_exists if this key is bound already.
  Result<IssuedCredential> Enrol(const EnrolRequest& request);
  // Enrol in the caller's write transaction: many enrolments in one commit
  // (a simulated city's riders, `citycode transit simulate`).
  Result<IssuedCredential> EnrolIn(store::Transaction& tx, const EnrolRequest& request);
  Result<std::vector<Device>> List(std::string_view citizen_id);
  // A fresh credential (new pseudonym and cti) for an active device.
  Result<IssuedCredential> RenewCredential(std::string_view citizen_id, std::string_view device_id);
  // Both end the device and revoke all its credentials at once (the
  // revocation list gets a new version). not_found for another citizen's
  // device; failed_precondition if it is not active.
  Status ReportLost(std::string_view citizen_id, std::string_view device_id);
  Status Unbind(std::string_view citizen_id, std::string_view device_id);
  // An operator's revocation of one credential (fraud, a court order …);
  // `reason` is recorded. not_found for an unknown credential;
  // failed_precondition if it is revoked already.
  Status RevokeCredential(const code::CredentialId& id, std::string_view reason);
  // In the caller's transaction: ends the devices `guardian_id` holds for
  // the dependant `citizen_id` and revokes their credentials with `reason`
  // (a guardian link ended). Online verification sees it on commit; then
  // call PublishRevocations for the verifier and the downloadable list.
  Status EndHeldBy(store::Transaction& tx, std::string_view citizen_id,
                   std::string_view guardian_id, std::string_view reason);
  Status PublishRevocations();
  // In the caller's transaction: for each of `citizen_ids`, the id of every
  // credential of an active device that is live at `now` (unexpired,
  // unrevoked) and the id announced for that device's next credential, so a
  // list fetched before a renewal admits the renewed code too. An ended
  // device has neither. With `include_cards` (a site whose policy admits
  // printed cards), also the citizen's live card (cards.h), if any.
  Result<std::vector<AdmissibleCredential>> Admissible(store::Transaction& tx,
                                                       std::span<const std::string> citizen_ids,
                                                       Instant now, bool include_cards = false);
  // Set once, before any credential is issued. A credential carries the
  // senior category by verified age, else what `source` says of the
  // verified person, else none (adult).
  void SetConcessionSource(ConcessionSource source);

 private:
  PlatformCore* core_;
};

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_DEVICES_H_
