// Devices and the credentials issued to them.
#include "code/credential.h"
#include "crypto/random.h"
#include "platform/internal/core.h"
#include "platform/platform.h"

namespace citycode::platform {
namespace {

std::string SceneList(const std::vector<code::Scene>& scenes) {
  std::string out;
  for (code::Scene scene : scenes) {
    if (!out.empty()) out += ',';
    out += code::SceneName(scene);
  }
  return out;
}

const std::vector<code::Scene>& AllScenes() {
  static const std::vector<code::Scene> kAll = {code::Scene::kGov, code::Scene::kTransit,
                                                code::Scene::kMedical, code::Scene::kHotel,
                                                code::Scene::kAccess};
  return kAll;
}

Result<DeviceState> DeviceStateFromName(std::string_view name) {
  for (auto state : {DeviceState::kActive, DeviceState::kUnbound, DeviceState::kLost}) {
    if (name == DeviceStateName(state)) return state;
  }
  return Internal("stored device has an unknown state");
}

// The id announced for the device's next credential (a device enrolled
// before announcements has none: a fresh one), and announces the one after.
Result<code::CredentialId> TakeNextCredentialId(store::Transaction& tx,
                                                std::string_view device_id) {
  const store::Value device[] = {Text(device_id)};
  // The row written first: a second renewal of the device at the same time
  // waits here (PostgreSQL's row lock; SQLite holds its write lock already)
  // and then reads the id this one announces instead of taking the same.
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("UPDATE devices SET next_credential_id = next_credential_id WHERE id = ?", device)
          .status());
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOne("SELECT next_credential_id FROM devices WHERE id = ?", device));
  code::CredentialId id = crypto::RandomArray<code::kCredentialIdSize>();
  if (!row.IsNull(0)) {
    const Bytes announced = row.Blob(0);
    if (announced.size() != id.size()) return Internal("stored next credential id has a bad size");
    std::copy(announced.begin(), announced.end(), id.begin());
  }
  const store::Value next[] = {Blob(crypto::RandomArray<code::kCredentialIdSize>()),
                               Text(device_id)};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("UPDATE devices SET next_credential_id = ? WHERE id = ?", next).status());
  return id;
}

}  // namespace

std::string_view DeviceStateName(DeviceState state) {
  switch (state) {
    case DeviceState::kActive: return "active";
    case DeviceState::kUnbound: return "unbound";
    case DeviceState::kLost: return "lost";
  }
  return "unknown";
}

Result<IssuedCredential> PlatformCore::IssueCredential(store::Transaction& tx,
                                                       std::string_view citizen_id,
                                                       std::string_view device_id,
                                                       const crypto::PublicKey& device_key,
                                                       code::Channel channel, bool held_by_guardian,
                                                       Instant now) {
  return SignCredential(tx, citizen_id,
                        {.device_id = device_id,
                         .device_key = device_key,
                         .channel = channel,
                         .held_by_guardian = held_by_guardian},
                        now);
}

Result<IssuedCredential> PlatformCore::SignCredential(store::Transaction& tx,
                                                      std::string_view citizen_id,
                                                      const NewCredential& holder, Instant now) {
  const bool card = holder.card != nullptr;
  const store::Value citizen_params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto citizen,
      tx.QueryOne("SELECT rider_category FROM citizens WHERE id = ?", citizen_params));
  CITYCODE_ASSIGN_OR_RETURN(code::RiderCategory category,
                            code::RiderCategoryFromName(citizen.Text(0)));
  if (category == code::RiderCategory::kAdult && concessions) {
    CITYCODE_ASSIGN_OR_RETURN(std::optional<VerifiedIdentity> identity,
                              Identities(*this).Find(tx, citizen_id));
    if (identity) {
      CITYCODE_ASSIGN_OR_RETURN(std::optional<code::RiderCategory> concession,
                                concessions(tx, identity->person));
      category = concession.value_or(category);
    }
  }
  CITYCODE_ASSIGN_OR_RETURN(auto signer, CurrentSigningKey(tx, now));
  code::CredentialId id{};
  Instant expires_at = now + options.credential_lifetime;
  if (card) {
    // A card is not renewed by a phone, so no id is announced for it. It
    // ends with its key's place in the trust list at the latest: past that,
    // gates would refuse it as unknown_key anyway.
    id = crypto::RandomArray<code::kCredentialIdSize>();
    const store::Value key[] = {Text(signer.first)};
    CITYCODE_ASSIGN_OR_RETURN(auto key_row,
                              tx.QueryOne("SELECT not_after FROM platform_keys WHERE id = ?", key));
    expires_at = std::min(now + options.card_lifetime, FromUnixSeconds(key_row.Int(0)));
  } else {
    CITYCODE_ASSIGN_OR_RETURN(id, TakeNextCredentialId(tx, holder.device_id));
  }
  code::CredentialClaims claims{
      .issuer = options.issuer_id,
      .subject = crypto::RandomArray<16>(),
      .issued_at = now,
      .expires_at = expires_at,
      .id = id,
      .device_key = holder.device_key,
      .scenes = card ? CardScenes() : AllScenes(),
      .channel = holder.channel,
      // Adults carry no category: the claim is there only to grant a concession.
      .rider_category = category == code::RiderCategory::kAdult
                            ? std::nullopt
                            : std::optional<code::RiderCategory>(category),
      .held_by_guardian = holder.held_by_guardian};
  CITYCODE_ASSIGN_OR_RETURN(Bytes bytes, code::IssueCredential(claims, signer.second));
  const store::Value params[] = {
      Blob(claims.id),
      Blob(claims.subject),
      card ? store::Value(nullptr) : Text(holder.device_id),
      Text(citizen_id),
      Text(signer.first),
      Text(SceneList(claims.scenes)),
      Text(code::ChannelName(holder.channel)),
      Text(code::RiderCategoryName(category)),
      Time(claims.issued_at),
      Time(claims.expires_at),
      card ? Text(holder.card->terminal_id) : store::Value(nullptr),
      card && !holder.card->staff_id.empty() ? Text(holder.card->staff_id) : store::Value(nullptr)};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO credentials (id, subject, device_id, citizen_id, signing_key_id, "
                 "scenes, channel, rider_category, issued_at, expires_at, card_terminal_id, "
                 "card_staff_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 params)
          .status());
  return IssuedCredential{
      .device_id = std::string(holder.device_id), .credential = std::move(bytes), .claims = claims};
}

Result<IssuedCredential> Devices::Enrol(const EnrolRequest& request) {
  IssuedCredential issued;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(issued, EnrolIn(tx, request));
        return OkStatus();
      }));
  return issued;
}

Result<IssuedCredential> Devices::EnrolIn(store::Transaction& tx, const EnrolRequest& request) {
  PlatformCore& core = *core_;
  if (request.label.size() > 64) return InvalidArgument("label must be at most 64 bytes");
  if (request.channel == code::Channel::kCard) {
    return InvalidArgument("a printed card is not enrolled as a device");
  }
  const Instant now = core.clock.Now();
  // Updating the citizen first serialises enrolments of one citizen, so
  // two at once cannot both pass the device limit.
  const store::Value touch[] = {Time(now), Text(request.citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto found,
                            tx.Execute("UPDATE citizens SET updated_at = ? WHERE id = ?", touch));
  if (found != 1) return NotFound("no such citizen");
  const store::Value citizen[] = {Text(request.citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto count,
      tx.QueryOne("SELECT COUNT(*) FROM devices WHERE citizen_id = ? AND state = 'active'",
                  citizen));
  if (count.Int(0) >= core.options.max_devices_per_citizen) {
    return FailedPrecondition("device limit reached; unbind a device first");
  }
  const store::Value key[] = {Blob(request.device_key.spki_der())};
  CITYCODE_ASSIGN_OR_RETURN(
      auto bound,
      tx.QueryOptional("SELECT id FROM devices WHERE public_key = ? AND state = 'active'", key));
  if (bound) return AlreadyExists("this device key is bound already");
  const std::string device_id = RandomId("dev");
  const std::string label = request.label.empty() ? "phone" : request.label;
  const bool held = !request.guardian_id.empty();
  const store::Value params[] = {Text(device_id),
                                 Text(request.citizen_id),
                                 Blob(request.device_key.spki_der()),
                                 Text(label),
                                 Text(code::ChannelName(request.channel)),
                                 Time(now),
                                 held ? Text(request.guardian_id) : store::Value(nullptr)};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO devices (id, citizen_id, public_key, label, channel, state, "
                 "created_at, guardian_id) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)",
                 params)
          .status());
  return core.IssueCredential(tx, request.citizen_id, device_id, request.device_key,
                              request.channel, held, now);
}

Result<std::vector<Device>> Devices::List(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT id, label, channel, state, public_key, created_at, ended_at, "
                           "guardian_id FROM devices WHERE citizen_id = ? "
                           "ORDER BY created_at, id",
                           params));
  std::vector<Device> out;
  for (const auto& row : rows) {
    Device device{.id = row.Text(0), .label = row.Text(1)};
    CITYCODE_ASSIGN_OR_RETURN(device.channel, code::ChannelFromName(row.Text(2)));
    CITYCODE_ASSIGN_OR_RETURN(device.state, DeviceStateFromName(row.Text(3)));
    CITYCODE_ASSIGN_OR_RETURN(auto key, crypto::PublicKey::FromSpkiDer(row.Blob(4)));
    device.key_id = key.key_id();
    device.created_at = FromUnixSeconds(row.Int(5));
    if (auto ended = row.OptionalInt(6)) device.ended_at = FromUnixSeconds(*ended);
    device.held_by_guardian = !row.IsNull(7);
    out.push_back(std::move(device));
  }
  return out;
}

Result<IssuedCredential> Devices::RenewCredential(std::string_view citizen_id,
                                                  std::string_view device_id) {
  PlatformCore& core = *core_;
  IssuedCredential issued;
  const auto renew = [&](store::Transaction& tx) -> Status {
    const store::Value params[] = {Text(device_id), Text(citizen_id)};
    CITYCODE_ASSIGN_OR_RETURN(auto device,
                              tx.QueryOptional("SELECT public_key, channel, state, guardian_id "
                                               "FROM devices WHERE id = ? AND citizen_id = ?",
                                               params));
    if (!device) return NotFound("no such device");
    if (device->Text(2) != "active") return FailedPrecondition("the device is not active");
    CITYCODE_ASSIGN_OR_RETURN(auto key, crypto::PublicKey::FromSpkiDer(device->Blob(0)));
    CITYCODE_ASSIGN_OR_RETURN(auto channel, code::ChannelFromName(device->Text(1)));
    CITYCODE_ASSIGN_OR_RETURN(issued, core.IssueCredential(tx, citizen_id, device_id, key, channel,
                                                           !device->IsNull(3), core.clock.Now()));
    return OkStatus();
  };
  // A renewal writes its device's row. On PostgreSQL, renewals batched on
  // several committing threads would take those rows in different orders
  // and wait on each other until the deadlock detector parts them (a
  // second), so each runs alone there; SQLite's one committer shares them.
  if (core.db.backend() == store::Backend::kPostgres) {
    CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(core.db, store::TransactionMode::kWrite, renew));
  } else {
    CITYCODE_RETURN_IF_ERROR(core.online_commits.Run(renew));
  }
  return issued;
}

Result<std::vector<AdmissibleCredential>> Devices::Admissible(
    store::Transaction& tx, std::span<const std::string> citizen_ids, Instant now,
    bool include_cards) {
  constexpr std::size_t kChunk = 500;  // bound parameters per query
  std::vector<AdmissibleCredential> out;
  auto add = [&out](const store::Row& row) -> Status {
    const Bytes& id = row.Blob(1);
    AdmissibleCredential credential{.citizen_id = row.Text(0)};
    if (id.size() != credential.id.size()) return Internal("stored credential id has a bad size");
    std::copy(id.begin(), id.end(), credential.id.begin());
    out.push_back(std::move(credential));
    return OkStatus();
  };
  for (std::size_t begin = 0; begin < citizen_ids.size(); begin += kChunk) {
    const auto chunk = citizen_ids.subspan(begin, std::min(kChunk, citizen_ids.size() - begin));
    std::string marks;
    std::vector<store::Value> params = {Time(now)};
    for (const std::string& citizen : chunk) {
      marks += marks.empty() ? "?" : ", ?";
      params.push_back(Text(citizen));
    }
    CITYCODE_ASSIGN_OR_RETURN(
        // The unary + keeps SQLite from reading every live credential through
        // credentials_revoked instead of each device's few.
        auto live, tx.Query("SELECT d.citizen_id, c.id FROM devices d JOIN credentials c ON "
                            "c.device_id = d.id WHERE d.state = 'active' AND +c.revoked_at IS NULL "
                            "AND +c.expires_at > ? AND d.citizen_id IN (" +
                                marks + ")",
                            params));
    for (const auto& row : live) CITYCODE_RETURN_IF_ERROR(add(row));
    params.erase(params.begin());
    CITYCODE_ASSIGN_OR_RETURN(auto next,
                              tx.Query("SELECT citizen_id, next_credential_id FROM devices WHERE "
                                       "state = 'active' AND next_credential_id IS NOT NULL AND "
                                       "citizen_id IN (" +
                                           marks + ")",
                                       params));
    for (const auto& row : next) CITYCODE_RETURN_IF_ERROR(add(row));
    if (!include_cards) continue;
    params.insert(params.begin(), Time(now));
    // The terms match credentials_live_card's, so each citizen's card is one
    // index lookup.
    CITYCODE_ASSIGN_OR_RETURN(auto cards, tx.Query("SELECT citizen_id, id FROM credentials WHERE "
                                                   "channel = 'card' AND revoked_at IS NULL AND "
                                                   "expires_at > ? AND citizen_id IN (" +
                                                       marks + ")",
                                                   params));
    for (const auto& row : cards) CITYCODE_RETURN_IF_ERROR(add(row));
  }
  return out;
}

Status PlatformCore::EndDevice(std::string_view citizen_id, std::string_view device_id,
                               DeviceState state) {
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const Instant now = clock.Now();
        const store::Value params[] = {Text(DeviceStateName(state)), Time(now), Text(device_id),
                                       Text(citizen_id)};
        CITYCODE_ASSIGN_OR_RETURN(auto changed,
                                  tx.Execute("UPDATE devices SET state = ?, ended_at = ? "
                                             "WHERE id = ? AND citizen_id = ? AND state = 'active'",
                                             params));
        if (changed != 1) {
          const store::Value lookup[] = {Text(device_id), Text(citizen_id)};
          CITYCODE_ASSIGN_OR_RETURN(
              auto exists,
              tx.QueryOptional("SELECT state FROM devices WHERE id = ? AND citizen_id = ?",
                               lookup));
          return exists ? FailedPrecondition("the device is not active")
                        : NotFound("no such device");
        }
        const store::Value revoke[] = {
            Time(now), Text(state == DeviceState::kLost ? "device_lost" : "device_unbound"),
            Text(device_id), Time(now)};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE credentials SET revoked_at = ?, revoke_reason = ? "
                       "WHERE device_id = ? AND revoked_at IS NULL AND expires_at > ?",
                       revoke)
                .status());
        return tx.Execute("UPDATE signed_lists SET stale = 1 WHERE name = 'revocation'").status();
      }));
  // Online verification checks the store and sees the revocation already;
  // the verifier and the downloadable list follow now.
  return RefreshVerifier();
}

Status Devices::RevokeCredential(const code::CredentialId& id, std::string_view reason) {
  PlatformCore& core = *core_;
  if (reason.empty() || reason.size() > 64) return InvalidArgument("reason must be 1-64 bytes");
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value params[] = {Time(core.clock.Now()), Text(reason), Blob(id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto changed, tx.Execute("UPDATE credentials SET revoked_at = ?, revoke_reason = ? "
                                     "WHERE id = ? AND revoked_at IS NULL",
                                     params));
        if (changed != 1) {
          const store::Value key[] = {Blob(id)};
          CITYCODE_ASSIGN_OR_RETURN(
              auto exists, tx.QueryOptional("SELECT 1 FROM credentials WHERE id = ?", key));
          return exists ? FailedPrecondition("the credential is revoked already")
                        : NotFound("no such credential");
        }
        return tx.Execute("UPDATE signed_lists SET stale = 1 WHERE name = 'revocation'").status();
      }));
  return core.RefreshVerifier();
}

Status PlatformCore::EndActiveDevices(store::Transaction& tx, std::string_view citizen_id,
                                      std::optional<std::string_view> guardian_id,
                                      std::string_view reason) {
  const Instant now = clock.Now();
  const std::string held = guardian_id ? " AND guardian_id = ?" : "";
  std::vector<store::Value> devices = {Text(citizen_id)};
  if (guardian_id) devices.push_back(Text(*guardian_id));
  std::vector<store::Value> revoke = {Time(now), Text(reason)};
  revoke.insert(revoke.end(), devices.begin(), devices.end());
  revoke.push_back(Time(now));
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("UPDATE credentials SET revoked_at = ?, revoke_reason = ? WHERE device_id IN "
                 "(SELECT id FROM devices WHERE citizen_id = ?" +
                     held + " AND state = 'active') AND revoked_at IS NULL AND expires_at > ?",
                 revoke)
          .status());
  std::vector<store::Value> end = {Time(now)};
  end.insert(end.end(), devices.begin(), devices.end());
  CITYCODE_RETURN_IF_ERROR(tx.Execute("UPDATE devices SET state = 'unbound', ended_at = ? WHERE "
                                      "citizen_id = ?" +
                                          held + " AND state = 'active'",
                                      end)
                               .status());
  // The account itself ends (not one guardian's hold on it): so does its
  // printed card.
  if (!guardian_id) CITYCODE_RETURN_IF_ERROR(RevokeCards(tx, citizen_id, reason).status());
  return tx.Execute("UPDATE signed_lists SET stale = 1 WHERE name = 'revocation'").status();
}

Status Devices::EndHeldBy(store::Transaction& tx, std::string_view citizen_id,
                          std::string_view guardian_id, std::string_view reason) {
  return core_->EndActiveDevices(tx, citizen_id, guardian_id, reason);
}

Status Devices::PublishRevocations() { return core_->RefreshVerifier(); }

void Devices::SetConcessionSource(ConcessionSource source) {
  core_->concessions = std::move(source);
}

Status Devices::ReportLost(std::string_view citizen_id, std::string_view device_id) {
  return core_->EndDevice(citizen_id, device_id, DeviceState::kLost);
}

Status Devices::Unbind(std::string_view citizen_id, std::string_view device_id) {
  return core_->EndDevice(citizen_id, device_id, DeviceState::kUnbound);
}

}  // namespace citycode::platform
