// Citizens, their registration, sessions and profiles.
#include "platform/citizens.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "common/city_time.h"
#include "crypto/password.h"
#include "platform/identities.h"
#include "platform/internal/core.h"

namespace citycode::platform {
namespace {

constexpr std::size_t kMaxNameBytes = 128;

std::string CitizenAad(std::string_view column, std::string_view citizen_id) {
  return SealedAad("citizens", column, citizen_id);
}

bool IsDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Printable UTF-8 without control characters; the exact script is not ours
// to judge (names include ·, Latin letters for minorities and foreigners).
bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::chrono::year_month_day BirthDate(std::string_view id_number) {
  const auto field = [&](std::size_t at, std::size_t n) {
    return std::stoi(std::string(id_number.substr(at, n)));
  };
  return std::chrono::year(field(6, 4)) / std::chrono::month(field(10, 2)) /
         std::chrono::day(field(12, 2));
}

std::string MaskIdNumber(std::string_view id_number) {
  if (id_number.size() < 8) return std::string();  // an erased account's
  return std::string(id_number.substr(0, 4)) + std::string(id_number.size() - 8, '*') +
         std::string(id_number.substr(id_number.size() - 4));
}

}  // namespace

bool IsValidPhone(std::string_view phone) {
  return phone.size() == 11 && phone[0] == '1' && IsDigits(phone);
}

bool IsValidResidentIdNumber(std::string_view id) {
  if (id.size() != 18 || !IsDigits(id.substr(0, 17))) return false;
  static constexpr std::array<int, 17> kWeights = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                   3, 7, 9,  10, 5, 8, 4, 2};
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  if ("10X98765432"[sum % 11] != id[17]) return false;
  const auto birth = BirthDate(id);
  return birth.ok() && birth.year() >= std::chrono::year(1900);
}

Status CheckPerson(std::string_view name, std::string_view id_number, Instant now) {
  if (!IsValidName(name)) return InvalidArgument("name must be 1-128 bytes of printable text");
  if (!IsValidResidentIdNumber(id_number)) {
    return InvalidArgument("id_number is not a valid 18-character resident ID number",
                           "id_number_invalid");
  }
  const auto today = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(now));
  if (std::chrono::sys_days(BirthDate(id_number)) > std::chrono::sys_days(today)) {
    return InvalidArgument("id_number has a birth date in the future", "id_number_birth_date");
  }
  return OkStatus();
}

int AgeInYears(std::string_view id_number, Instant now) {
  const auto today = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(now));
  return YearsBetween(BirthDate(id_number), today);
}

code::RiderCategory AgeCategory(std::string_view id_number, Instant now, int senior_age) {
  return AgeInYears(id_number, now) >= senior_age ? code::RiderCategory::kSenior
                                                  : code::RiderCategory::kAdult;
}

Status CheckRegistration(const CitizenRegistration& r, Instant now) {
  CITYCODE_RETURN_IF_ERROR(CheckPerson(r.name, r.id_number, now));
  if (!IsValidPhone(r.phone)) return InvalidArgument("phone must be an 11-digit mobile number");
  if (r.password.size() < 8 || r.password.size() > crypto::kMaxPasswordBytes) {
    return InvalidArgument("password must have 8-1024 characters");
  }
  return OkStatus();
}

Result<std::string> InsertCitizen(PlatformCore& core, store::Transaction& tx,
                                  const CitizenRegistration& r, std::string_view password_hash,
                                  std::optional<Instant> phone_verified_at) {
  const std::string id = RandomId("cit");
  const Instant now = core.clock.Now();
  // The ID number given at registration is a claim nobody has checked: it
  // is bound to this account, so a claim on someone's number blocks nobody
  // (the person is found by their verified identity, identities.h), and
  // the fare stays adult until the identity is verified.
  // A held account has no phone: its index is one no 11-digit phone has.
  const std::string phone_key = r.phone.empty() ? "held:" + id : r.phone;
  const store::Value params[] = {
      Text(id),
      Blob(core.keyring.Index("phone", phone_key)),
      Blob(core.keyring.Index("id_number_claim", id + ":" + r.id_number)),
      Blob(core.keyring.Seal(AsBytes(r.name), CitizenAad("sealed_name", id))),
      Blob(core.keyring.Seal(AsBytes(r.id_number), CitizenAad("sealed_id_number", id))),
      Blob(core.keyring.Seal(AsBytes(r.phone), CitizenAad("sealed_phone", id))),
      Text(password_hash),
      Text(code::RiderCategoryName(code::RiderCategory::kAdult)),
      Int(r.demo || core.options.demo ? 1 : 0),
      phone_verified_at ? Time(*phone_verified_at) : store::Value(nullptr),
      Time(now),
      Time(now)};
  const Status status =
      tx.Execute(
            "INSERT INTO citizens (id, phone_index, id_number_index, sealed_name, "
            "sealed_id_number, sealed_phone, password_hash, rider_category, demo, "
            "phone_verified_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params)
          .status();
  if (status.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("a citizen with this phone is registered");
  }
  CITYCODE_RETURN_IF_ERROR(status);
  return id;
}

Result<std::string> Citizens::Register(const CitizenRegistration& r) {
  PlatformCore& core = *core_;
  CITYCODE_RETURN_IF_ERROR(CheckRegistration(r, core.clock.Now()));
  CITYCODE_ASSIGN_OR_RETURN(std::string password_hash,
                            core.passwords.Hash(r.password, core.options.password_cost));
  std::string id;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(id, InsertCitizen(core, tx, r, password_hash, std::nullopt));
        return OkStatus();
      }));
  return id;
}

Result<std::string> Citizens::CreateHeldAccount(store::Transaction& tx, const Person& person) {
  CITYCODE_RETURN_IF_ERROR(CheckPerson(person.name, person.id_number, core_->clock.Now()));
  // No password hash: no password ever verifies against an empty one.
  return InsertCitizen(*core_, tx, {.name = person.name, .id_number = person.id_number}, "",
                       std::nullopt);
}

Status PlatformCore::CheckLoginPassword(std::string_view account_key,
                                        std::string_view client_address,
                                        std::optional<std::string_view> hash,
                                        std::string_view password, const Status& refused) {
  const std::string address_key = "address:" + std::string(client_address);
  const std::chrono::seconds wait =
      std::max(login_by_account.Wait(account_key), login_by_address.Wait(address_key));
  if (wait.count() > 0) {
    return ResourceExhausted(
        "too many wrong passwords; retry in " + std::to_string(wait.count()) + " s",
        "login_backoff");
  }
  // The same work whether or not the account exists.
  CITYCODE_ASSIGN_OR_RETURN(const bool matches,
                            passwords.Verify(password, hash ? *hash : DecoyPasswordHash()));
  if (!hash || !matches) {
    login_by_account.Failed(account_key);
    login_by_address.Failed(address_key);
    return refused;
  }
  login_by_account.Succeeded(account_key);
  return OkStatus();
}

const std::string& PlatformCore::DecoyPasswordHash() {
  std::call_once(decoy_once, [this] {
    // A random password of fixed length: hashing it cannot fail.
    decoy_password_hash = *crypto::HashPassword(NewSecret(), options.password_cost);
  });
  return decoy_password_hash;
}

Result<Session> Citizens::Login(std::string_view phone, std::string_view password,
                                std::string_view client_address) {
  PlatformCore& core = *core_;
  const Status refused = Unauthenticated("wrong phone or password");
  if (!IsValidPhone(phone) || password.size() > crypto::kMaxPasswordBytes) return refused;
  std::optional<store::Row> row;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
    const store::Value params[] = {Blob(core.keyring.Index("phone", phone))};
    CITYCODE_ASSIGN_OR_RETURN(
        row,
        tx->QueryOptional("SELECT id, password_hash FROM citizens WHERE phone_index = ?", params));
  }
  CITYCODE_RETURN_IF_ERROR(core.CheckLoginPassword(
      "phone:" + std::string(phone), client_address,
      row ? std::optional<std::string_view>(row->Text(1)) : std::nullopt, password, refused));
  const std::string secret = NewSecret();
  const Instant now = core.clock.Now();
  Session session{.token = std::string(kSessionPrefix) + secret,
                  .citizen_id = row->Text(0),
                  .expires_at = now + core.options.session_lifetime};
  const store::Value params[] = {Blob(SecretHash(secret)), Text(session.citizen_id), Time(now),
                                 Time(session.expires_at)};
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx
            .Execute(
                "INSERT INTO sessions (token_hash, citizen_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                params)
            .status();
      }));
  return session;
}

Status Citizens::Logout(std::string_view token) {
  if (!token.starts_with(kSessionPrefix)) return InvalidArgument("not a session token");
  const store::Value params[] = {Blob(SecretHash(token.substr(kSessionPrefix.size())))};
  return core_->ChangeAccess([&](store::Transaction& tx) {
    return tx.Execute("DELETE FROM sessions WHERE token_hash = ?", params).status();
  });
}

Result<CitizenProfile> Citizens::Get(std::string_view citizen_id) {
  PlatformCore& core = *core_;
  CITYCODE_ASSIGN_OR_RETURN(IdentityStatus identity, Identities(core).Get(citizen_id));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx->QueryOptional("SELECT sealed_name, sealed_id_number, rider_category, "
                                  "created_at FROM citizens WHERE id = ?",
                                  params));
  if (!row) return NotFound("no such citizen");
  CitizenProfile profile{.id = std::string(citizen_id),
                         .identity_level = identity.level,
                         .created_at = FromUnixSeconds(row->Int(3))};
  CITYCODE_ASSIGN_OR_RETURN(profile.rider_category, code::RiderCategoryFromName(row->Text(2)));
  if (identity.level != AssuranceLevel::kNone) {  // the person as verified
    CITYCODE_ASSIGN_OR_RETURN(VerifiedIdentity verified, Identities(core).Verified(citizen_id));
    profile.name = verified.person.name;
    profile.id_number_masked = MaskIdNumber(verified.person.id_number);
    return profile;
  }
  CITYCODE_ASSIGN_OR_RETURN(Bytes name,
                            core.keyring.Open(row->Blob(0), CitizenAad("sealed_name", citizen_id)));
  CITYCODE_ASSIGN_OR_RETURN(
      Bytes id_number, core.keyring.Open(row->Blob(1), CitizenAad("sealed_id_number", citizen_id)));
  profile.name = std::string(AsChars(name));
  profile.id_number_masked = MaskIdNumber(AsChars(id_number));
  return profile;
}

Result<AccountRecord> Citizens::Own(std::string_view citizen_id) {
  PlatformCore& core = *core_;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx->QueryOptional("SELECT sealed_name, sealed_id_number, sealed_phone, "
                                  "created_at, phone_verified_at FROM citizens WHERE id = ?",
                                  params));
  if (!row) return NotFound("no such citizen");
  AccountRecord record{.citizen_id = std::string(citizen_id),
                       .created_at = FromUnixSeconds(row->Int(3))};
  std::string* fields[] = {&record.name, &record.id_number, &record.phone};
  const char* columns[] = {"sealed_name", "sealed_id_number", "sealed_phone"};
  for (std::size_t i = 0; i < 3; ++i) {
    CITYCODE_ASSIGN_OR_RETURN(Bytes opened,
                              core.keyring.Open(row->Blob(i), CitizenAad(columns[i], citizen_id)));
    *fields[i] = std::string(AsChars(opened));
  }
  if (auto at = row->OptionalInt(4)) record.phone_verified_at = FromUnixSeconds(*at);
  return record;
}

Status Citizens::CheckPassword(std::string_view citizen_id, std::string_view password) {
  PlatformCore& core = *core_;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx->QueryOptional("SELECT password_hash FROM citizens WHERE id = ?", params));
  if (!row || password.size() > crypto::kMaxPasswordBytes) {
    return Unauthenticated("wrong password", "wrong_password");
  }
  CITYCODE_ASSIGN_OR_RETURN(const bool matches, core.passwords.Verify(password, row->Text(0)));
  return matches ? OkStatus() : Unauthenticated("wrong password", "wrong_password");
}

Status Citizens::Erase(std::string_view citizen_id) {
  PlatformCore& core = *core_;
  const std::string id(citizen_id);
  CITYCODE_RETURN_IF_ERROR(core.ChangeAccess([&](store::Transaction& tx) -> Status {
    const Instant now = core.clock.Now();
    const Bytes nothing;
    const store::Value erase[] = {
        Blob(core.keyring.Index("phone", "erased:" + id)),
        Blob(core.keyring.Index("id_number_claim", id + ":erased")),
        Blob(core.keyring.Seal(nothing, CitizenAad("sealed_name", id))),
        Blob(core.keyring.Seal(nothing, CitizenAad("sealed_id_number", id))),
        Blob(core.keyring.Seal(nothing, CitizenAad("sealed_phone", id))),
        Time(now),
        Time(now),
        Text(id)};
    CITYCODE_ASSIGN_OR_RETURN(
        auto changed,
        tx.Execute("UPDATE citizens SET phone_index = ?, id_number_index = ?, sealed_name = ?, "
                   "sealed_id_number = ?, sealed_phone = ?, password_hash = '', "
                   "rider_category = 'adult', phone_verified_at = NULL, erased_at = ?, "
                   "updated_at = ? WHERE id = ? AND erased_at IS NULL",
                   erase));
    if (changed != 1) return NotFound("no such citizen");
    const store::Value mine[] = {Text(id)};
    for (const char* sql : {"DELETE FROM sessions WHERE citizen_id = ?",
                            "DELETE FROM identities WHERE citizen_id = ?",
                            "DELETE FROM identity_events WHERE citizen_id = ?",
                            "DELETE FROM identity_nonces WHERE citizen_id = ?"}) {
      CITYCODE_RETURN_IF_ERROR(tx.Execute(sql, mine).status());
    }
    return core.EndActiveDevices(tx, id, std::nullopt, "account_deleted");
  }));
  return core.RefreshVerifier();
}

}  // namespace citycode::platform
