// Citizens, their sessions, and authentication of every bearer token.
#include <algorithm>
#include <array>
#include <chrono>

#include "crypto/password.h"
#include "platform/internal/impl.h"
#include "platform/platform.h"

namespace citycode::platform {
namespace {

constexpr std::string_view kSessionPrefix = "ccs_";
constexpr std::string_view kApiKeyPrefix = "cck_";
constexpr std::size_t kMaxNameBytes = 128;

std::string CitizenAad(std::string_view column, std::string_view citizen_id) {
  return SealedAad("citizens", column, citizen_id);
}

bool IsDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsValidPhone(std::string_view phone) {
  return phone.size() == 11 && phone[0] == '1' && IsDigits(phone);
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
  return std::string(id_number.substr(0, 4)) + std::string(id_number.size() - 8, '*') +
         std::string(id_number.substr(id_number.size() - 4));
}

}  // namespace

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

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kOrgAdmin: return "org_admin";
    case Role::kTerminal: return "terminal";
    case Role::kChannel: return "channel";
    case Role::kCitizen: return "citizen";
  }
  return "unknown";
}

Result<std::string> Platform::RegisterCitizen(const CitizenRegistration& r) {
  Impl& impl = *impl_;
  if (!IsValidName(r.name)) return InvalidArgument("name must be 1-128 bytes of printable text");
  if (!IsValidResidentIdNumber(r.id_number)) {
    return InvalidArgument("id_number is not a valid 18-character resident ID number");
  }
  if (!IsValidPhone(r.phone)) return InvalidArgument("phone must be an 11-digit mobile number");
  if (r.password.size() < 8) return InvalidArgument("password must have at least 8 characters");
  CITYCODE_ASSIGN_OR_RETURN(std::string password_hash,
                            crypto::HashPassword(r.password, impl.options.password_cost));
  const std::string id = RandomId("cit");
  const Instant now = impl.clock.Now();
  const auto age = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(now)).year() -
                   BirthDate(r.id_number).year();
  const bool senior = age.count() >= impl.options.senior_age;
  const store::Value params[] = {
      Text(id),
      Blob(impl.keyring.Index("phone", r.phone)),
      Blob(impl.keyring.Index("id_number", r.id_number)),
      Blob(impl.keyring.Seal(AsBytes(r.name), CitizenAad("sealed_name", id))),
      Blob(impl.keyring.Seal(AsBytes(r.id_number), CitizenAad("sealed_id_number", id))),
      Blob(impl.keyring.Seal(AsBytes(r.phone), CitizenAad("sealed_phone", id))),
      Text(password_hash),
      Text(code::RiderCategoryName(senior ? code::RiderCategory::kSenior
                                          : code::RiderCategory::kAdult)),
      Int(r.demo || impl.options.demo ? 1 : 0),
      Time(now),
      Time(now)};
  const Status status =
      store::RunInTransaction(impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx
            .Execute(
                "INSERT INTO citizens (id, phone_index, id_number_index, sealed_name, "
                "sealed_id_number, sealed_phone, password_hash, rider_category, demo, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params)
            .status();
      });
  if (status.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("a citizen with this phone or ID number is registered");
  }
  CITYCODE_RETURN_IF_ERROR(status);
  return id;
}

const std::string& Platform::Impl::DecoyPasswordHash() {
  std::call_once(decoy_once, [this] {
    // A random password of fixed length: hashing it cannot fail.
    decoy_password_hash = *crypto::HashPassword(NewSecret(), options.password_cost);
  });
  return decoy_password_hash;
}

Result<Session> Platform::Login(std::string_view phone, std::string_view password) {
  Impl& impl = *impl_;
  const Status refused = Unauthenticated("wrong phone or password");
  if (!IsValidPhone(phone) || password.size() > crypto::kMaxPasswordBytes) return refused;
  std::optional<store::Row> row;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
    const store::Value params[] = {Blob(impl.keyring.Index("phone", phone))};
    CITYCODE_ASSIGN_OR_RETURN(
        row,
        tx->QueryOptional("SELECT id, password_hash FROM citizens WHERE phone_index = ?", params));
  }
  // The same work whether or not the phone is registered.
  const bool matches =
      crypto::VerifyPassword(password, row ? row->Text(1) : impl.DecoyPasswordHash());
  if (!row || !matches) return refused;
  const std::string secret = NewSecret();
  const Instant now = impl.clock.Now();
  Session session{.token = std::string(kSessionPrefix) + secret,
                  .citizen_id = row->Text(0),
                  .expires_at = now + impl.options.session_lifetime};
  const store::Value params[] = {Blob(SecretHash(secret)), Text(session.citizen_id), Time(now),
                                 Time(session.expires_at)};
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(impl.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx
            .Execute(
                "INSERT INTO sessions (token_hash, citizen_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                params)
            .status();
      }));
  return session;
}

Status Platform::Logout(std::string_view token) {
  if (!token.starts_with(kSessionPrefix)) return InvalidArgument("not a session token");
  const store::Value params[] = {Blob(SecretHash(token.substr(kSessionPrefix.size())))};
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx.Execute("DELETE FROM sessions WHERE token_hash = ?", params).status();
      });
}

Result<CitizenProfile> Platform::GetCitizen(std::string_view citizen_id) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx->QueryOptional("SELECT sealed_name, sealed_id_number, rider_category, "
                                  "created_at FROM citizens WHERE id = ?",
                                  params));
  if (!row) return NotFound("no such citizen");
  CITYCODE_ASSIGN_OR_RETURN(Bytes name,
                            impl.keyring.Open(row->Blob(0), CitizenAad("sealed_name", citizen_id)));
  CITYCODE_ASSIGN_OR_RETURN(
      Bytes id_number, impl.keyring.Open(row->Blob(1), CitizenAad("sealed_id_number", citizen_id)));
  CITYCODE_ASSIGN_OR_RETURN(code::RiderCategory category,
                            code::RiderCategoryFromName(row->Text(2)));
  return CitizenProfile{.id = std::string(citizen_id),
                        .name = std::string(AsChars(name)),
                        .id_number_masked = MaskIdNumber(AsChars(id_number)),
                        .rider_category = category,
                        .created_at = FromUnixSeconds(row->Int(3))};
}

Result<std::string> Platform::CitizenIdNumber(std::string_view citizen_id) {
  Impl& impl = *impl_;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(citizen_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx->QueryOptional("SELECT sealed_id_number FROM citizens WHERE id = ?", params));
  if (!row) return NotFound("no such citizen");
  CITYCODE_ASSIGN_OR_RETURN(
      Bytes id_number, impl.keyring.Open(row->Blob(0), CitizenAad("sealed_id_number", citizen_id)));
  return std::string(AsChars(id_number));
}

Status Platform::SetRiderCategory(std::string_view citizen_id, code::RiderCategory category) {
  const store::Value params[] = {Text(code::RiderCategoryName(category)), Time(impl_->clock.Now()),
                                 Text(citizen_id)};
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            auto changed,
            tx.Execute("UPDATE citizens SET rider_category = ?, updated_at = ? WHERE id = ?",
                       params));
        return changed == 1 ? OkStatus() : NotFound("no such citizen");
      });
}

Result<Principal> Platform::Authenticate(std::string_view token) {
  Impl& impl = *impl_;
  const Status refused = Unauthenticated("unknown, expired or revoked credentials");
  const Instant now = impl.clock.Now();
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl.db.Begin(store::TransactionMode::kRead));
  if (token.starts_with(kSessionPrefix)) {
    const std::string_view secret = token.substr(kSessionPrefix.size());
    const Bytes hash = SecretHash(secret);
    const store::Value params[] = {Blob(hash), Time(now)};
    CITYCODE_ASSIGN_OR_RETURN(auto row, tx->QueryOptional("SELECT citizen_id FROM sessions "
                                                          "WHERE token_hash = ? AND expires_at > ?",
                                                          params));
    if (!row) return refused;
    // Rate limits key on the session: a prefix of its hash names it.
    return Principal{.role = Role::kCitizen,
                     .key_id = "session_" + ToHex(ByteView(hash).first(8)),
                     .citizen_id = row->Text(0)};
  }
  if (!token.starts_with(kApiKeyPrefix)) return refused;
  const std::string_view rest = token.substr(kApiKeyPrefix.size());
  const std::size_t split = rest.find('_');
  if (split == std::string_view::npos) return refused;
  const std::string_view key_id = rest.substr(0, split), secret = rest.substr(split + 1);
  const store::Value params[] = {Text(key_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row,
      tx->QueryOptional("SELECT k.role, k.org_id, k.terminal_id, k.channel, k.secret_hash, "
                        "t.site_id, t.scene, t.active FROM api_keys k "
                        "LEFT JOIN terminals t ON t.id = k.terminal_id "
                        "WHERE k.id = ? AND k.revoked_at IS NULL",
                        params));
  if (!row || !ConstantTimeEqual(SecretHash(secret), row->Blob(4))) return refused;
  Principal principal{.key_id = std::string(key_id)};
  const std::string& role = row->Text(0);
  if (role == "admin") {
    principal.role = Role::kAdmin;
  } else if (role == "org_admin") {
    principal.role = Role::kOrgAdmin;
    principal.org_id = row->Text(1);
  } else if (role == "terminal") {
    if (row->IsNull(7) || row->Int(7) != 1) return refused;  // terminal disabled
    principal.role = Role::kTerminal;
    principal.org_id = row->Text(1);
    principal.terminal_id = row->Text(2);
    principal.site_id = row->Text(5);
    CITYCODE_ASSIGN_OR_RETURN(principal.scene, code::SceneFromName(row->Text(6)));
  } else if (role == "channel") {
    principal.role = Role::kChannel;
    CITYCODE_ASSIGN_OR_RETURN(principal.channel, code::ChannelFromName(row->Text(3)));
  } else {
    return Internal("stored API key has an unknown role");
  }
  return principal;
}

}  // namespace citycode::platform
