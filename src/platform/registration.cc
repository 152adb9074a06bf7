// Registration and password reset by a one-time code texted to the phone.
// Both answer the same whether or not the phone is known: what differs is
// only what the phone receives, so the API tells nobody who is registered.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "crypto/password.h"
#include "crypto/random.h"
#include "platform/citizens.h"
#include "platform/internal/core.h"

namespace citycode::platform {
namespace {

using nlohmann::json;

constexpr std::string_view kRegister = "register";
constexpr std::string_view kReset = "reset";
constexpr std::string_view kPhoneChange = "phone_change";
constexpr std::string_view kSignature = "【城市码】";

std::string CodeText(std::string_view code, std::chrono::seconds lifetime) {
  return std::string(kSignature) + "验证码 " + std::string(code) + "，" +
         std::to_string(std::chrono::duration_cast<std::chrono::minutes>(lifetime).count()) +
         "分钟内有效。请勿告诉他人。";
}
constexpr std::string_view kRegisteredNotice =
    "有人用此号码申请注册，但此号码已注册。若是您本人，请直接登录；忘记密码可以找回。";
constexpr std::string_view kUnknownNotice = "有人用此号码申请找回密码，但此号码没有注册。";
constexpr std::string_view kTakenNotice = "有人申请把账号换到此号码，但此号码已注册，未作更改。";

// Six decimal digits, uniform (rejection sampling over 32 random bits).
std::string NewCode() {
  for (;;) {
    const auto bytes = crypto::RandomArray<4>();
    const std::uint32_t value = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                                (std::uint32_t{bytes[2]} << 8) | bytes[3];
    if (value >= 4'294'000'000u) continue;
    char digits[7];
    std::snprintf(digits, sizeof digits, "%06u", value % 1'000'000u);
    return digits;
  }
}

Status Unproven() { return Unauthenticated("the code is wrong, used or expired", "code_invalid"); }

// Counts this text against the hourly limits of its phone and address.
Status CountText(PlatformCore& core, store::Transaction& tx, std::string_view phone,
                 std::string_view client_address) {
  const Instant now = core.clock.Now();
  const BlindIndex phone_index = core.keyring.Index("phone", phone);
  const BlindIndex address_index = core.keyring.Index("client_address", client_address);
  const auto over = [&](std::string_view column, const BlindIndex& index,
                        int limit) -> Result<bool> {
    const store::Value params[] = {Blob(index), Time(now - std::chrono::hours(1))};
    CITYCODE_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM phone_code_sends WHERE " +
                                                        std::string(column) + " = ? AND at > ?",
                                                    params));
    return row.Int(0) >= limit;
  };
  CITYCODE_ASSIGN_OR_RETURN(
      bool phone_over, over("phone_index", phone_index, core.options.max_texts_per_phone_hour));
  CITYCODE_ASSIGN_OR_RETURN(bool address_over, over("address_index", address_index,
                                                    core.options.max_texts_per_address_hour));
  if (phone_over || address_over) {
    return ResourceExhausted("too many texts asked for; try again later", "rate_limited");
  }
  const store::Value sent[] = {Text(RandomId("sms")), Blob(phone_index), Blob(address_index),
                               Time(now)};
  return tx
      .Execute(
          "INSERT INTO phone_code_sends (id, phone_index, address_index, at) "
          "VALUES (?, ?, ?, ?)",
          sent)
      .status();
}

Result<bool> IsRegistered(PlatformCore& core, store::Transaction& tx, std::string_view phone) {
  const store::Value params[] = {Blob(core.keyring.Index("phone", phone))};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional("SELECT id FROM citizens WHERE phone_index = ?", params));
  return row.has_value();
}

// Replaces the phone's code for `purpose`; `pending` (sealed) is what the
// code will release.
Status PutCode(PlatformCore& core, store::Transaction& tx, std::string_view phone,
               std::string_view purpose, std::string_view code, std::optional<json> pending) {
  const BlindIndex phone_index = core.keyring.Index("phone", phone);
  const store::Value key[] = {Blob(phone_index), Text(purpose)};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM phone_codes WHERE phone_index = ? AND purpose = ?", key).status());
  const std::string id = RandomId("pc");
  const store::Value params[] = {
      Text(id),
      Blob(phone_index),
      Text(purpose),
      Blob(core.keyring.Index("phone_code", std::string(phone) + ":" + std::string(code))),
      pending ? Blob(core.keyring.Seal(AsBytes(pending->dump()),
                                       SealedAad("phone_codes", "sealed_pending", id)))
              : store::Value(nullptr),
      Time(core.clock.Now() + core.options.phone_code_lifetime)};
  return tx
      .Execute(
          "INSERT INTO phone_codes (id, phone_index, purpose, code_index, sealed_pending, "
          "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
          params)
      .status();
}

// Takes the phone's code for `purpose` if `code` is it: what it released
// (the pending JSON, or an empty object). A wrong code counts a try, and the
// count is kept (so the caller commits and refuses afterwards); nullopt then.
Result<std::optional<json>> TakeCode(PlatformCore& core, store::Transaction& tx,
                                     std::string_view phone, std::string_view purpose,
                                     std::string_view code) {
  const store::Value key[] = {Blob(core.keyring.Index("phone", phone)), Text(purpose),
                              Time(core.clock.Now())};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx.QueryOptional("SELECT id, code_index, sealed_pending, tries FROM phone_codes "
                                 "WHERE phone_index = ? AND purpose = ? AND expires_at > ?",
                                 key));
  if (!row) return std::optional<json>();
  const store::Value id[] = {Text(row->Text(0))};
  const BlindIndex given =
      core.keyring.Index("phone_code", std::string(phone) + ":" + std::string(code));
  if (row->Int(3) >= core.options.max_phone_code_tries || !ConstantTimeEqual(given, row->Blob(1))) {
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("UPDATE phone_codes SET tries = tries + 1 WHERE id = ?", id).status());
    return std::optional<json>();
  }
  CITYCODE_RETURN_IF_ERROR(tx.Execute("DELETE FROM phone_codes WHERE id = ?", id).status());
  if (row->IsNull(2)) return std::optional<json>(json::object());
  CITYCODE_ASSIGN_OR_RETURN(
      Bytes opened,
      core.keyring.Open(row->Blob(2), SealedAad("phone_codes", "sealed_pending", row->Text(0))));
  return std::optional<json>(json::parse(AsChars(opened)));
}

// What a start texts: a code (kept for `purpose`, with `pending`) to a phone
// whose registration is `code_if_registered`, the notice to any other.
struct Texting {
  std::string_view purpose;
  bool code_if_registered = false;
  std::string_view notice;
  std::optional<json> pending;
};

Result<CodeSent> TextCodeOrNotice(PlatformCore& core, std::string_view phone,
                                  std::string_view client_address, const Texting& texting) {
  if (!core.options.sms) {
    return FailedPrecondition("no SMS gateway is configured", "no_sms_gateway");
  }
  const std::string code = NewCode();
  bool gets_code = false;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_RETURN_IF_ERROR(CountText(core, tx, phone, client_address));
        CITYCODE_ASSIGN_OR_RETURN(const bool known, IsRegistered(core, tx, phone));
        gets_code = known == texting.code_if_registered;
        if (!gets_code) return OkStatus();
        return PutCode(core, tx, phone, texting.purpose, code, texting.pending);
      }));
  CITYCODE_RETURN_IF_ERROR(core.options.sms->Send(
      {std::string(phone), gets_code ? CodeText(code, core.options.phone_code_lifetime)
                                     : std::string(kSignature) + std::string(texting.notice)}));
  return CodeSent{.expires_in = core.options.phone_code_lifetime};
}

bool IsCode(std::string_view code) {
  return code.size() == 6 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<CodeSent> Citizens::StartRegistration(const CitizenRegistration& r,
                                             std::string_view client_address) {
  PlatformCore& core = *core_;
  CITYCODE_RETURN_IF_ERROR(CheckRegistration(r, core.clock.Now()));
  // Hashed whether or not the phone is known: both answers take as long.
  CITYCODE_ASSIGN_OR_RETURN(std::string password_hash,
                            core.passwords.Hash(r.password, core.options.password_cost));
  return TextCodeOrNotice(core, r.phone, client_address,
                          {.purpose = kRegister,
                           .code_if_registered = false,
                           .notice = kRegisteredNotice,
                           .pending = json{{"name", r.name},
                                           {"id_number", r.id_number},
                                           {"password_hash", password_hash},
                                           {"demo", r.demo}}});
}

Result<std::string> Citizens::ConfirmRegistration(std::string_view phone, std::string_view code) {
  PlatformCore& core = *core_;
  if (!IsValidPhone(phone) || !IsCode(code)) return Unproven();
  std::optional<json> pending;
  std::string id;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(pending, TakeCode(core, tx, phone, kRegister, code));
        if (!pending) return OkStatus();  // the counted try is committed
        const CitizenRegistration r{.name = pending->value("name", ""),
                                    .id_number = pending->value("id_number", ""),
                                    .phone = std::string(phone),
                                    .demo = pending->value("demo", false)};
        CITYCODE_ASSIGN_OR_RETURN(
            id, InsertCitizen(core, tx, r, pending->value("password_hash", ""), core.clock.Now()));
        return OkStatus();
      }));
  if (!pending) return Unproven();
  return id;
}

Result<CodeSent> Citizens::StartPasswordReset(std::string_view phone,
                                              std::string_view client_address) {
  if (!IsValidPhone(phone)) return InvalidArgument("phone must be an 11-digit mobile number");
  return TextCodeOrNotice(
      *core_, phone, client_address,
      {.purpose = kReset, .code_if_registered = true, .notice = kUnknownNotice});
}

Status Citizens::ConfirmPasswordReset(std::string_view phone, std::string_view code,
                                      std::string_view new_password) {
  PlatformCore& core = *core_;
  if (new_password.size() < 8 || new_password.size() > crypto::kMaxPasswordBytes) {
    return InvalidArgument("password must have 8-1024 characters");
  }
  if (!IsValidPhone(phone) || !IsCode(code)) return Unproven();
  CITYCODE_ASSIGN_OR_RETURN(std::string password_hash,
                            core.passwords.Hash(new_password, core.options.password_cost));
  std::optional<json> taken;
  CITYCODE_RETURN_IF_ERROR(core.ChangeAccess([&](store::Transaction& tx) -> Status {
    CITYCODE_ASSIGN_OR_RETURN(taken, TakeCode(core, tx, phone, kReset, code));
    if (!taken) return OkStatus();
    // The code proved the phone too.
    const store::Value params[] = {Text(password_hash), Time(core.clock.Now()),
                                   Time(core.clock.Now()),
                                   Blob(core.keyring.Index("phone", phone))};
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("UPDATE citizens SET password_hash = ?, updated_at = ?, "
                   "phone_verified_at = COALESCE(phone_verified_at, ?) WHERE phone_index = ?",
                   params)
            .status());
    const store::Value who[] = {Blob(core.keyring.Index("phone", phone))};
    return tx
        .Execute(
            "DELETE FROM sessions WHERE citizen_id IN "
            "(SELECT id FROM citizens WHERE phone_index = ?)",
            who)
        .status();
  }));
  return taken ? OkStatus() : Unproven();
}

Result<CodeSent> Citizens::StartPhoneChange(std::string_view citizen_id, std::string_view new_phone,
                                            std::string_view client_address) {
  if (!IsValidPhone(new_phone)) return InvalidArgument("phone must be an 11-digit mobile number");
  return TextCodeOrNotice(*core_, new_phone, client_address,
                          {.purpose = kPhoneChange,
                           .code_if_registered = false,
                           .notice = kTakenNotice,
                           .pending = json{{"citizen_id", citizen_id}}});
}

Status Citizens::ConfirmPhoneChange(std::string_view citizen_id, std::string_view new_phone,
                                    std::string_view code) {
  PlatformCore& core = *core_;
  if (!IsValidPhone(new_phone) || !IsCode(code)) return Unproven();
  bool moved = false;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        moved = false;
        CITYCODE_ASSIGN_OR_RETURN(std::optional<json> pending,
                                  TakeCode(core, tx, new_phone, kPhoneChange, code));
        if (!pending || pending->value("citizen_id", "") != citizen_id) return OkStatus();
        const store::Value params[] = {
            Blob(core.keyring.Index("phone", new_phone)),
            Blob(core.keyring.Seal(AsBytes(new_phone),
                                   SealedAad("citizens", "sealed_phone", citizen_id))),
            Time(core.clock.Now()), Time(core.clock.Now()), Text(citizen_id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto changed, tx.Execute("UPDATE citizens SET phone_index = ?, sealed_phone = ?, "
                                     "phone_verified_at = ?, updated_at = ? WHERE id = ?",
                                     params));
        moved = changed == 1;
        return OkStatus();
      }));
  return moved ? OkStatus() : Unproven();
}

}  // namespace citycode::platform
