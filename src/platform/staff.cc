#include "platform/staff.h"

#include <algorithm>

#include "platform/internal/core.h"

namespace citycode::platform {
namespace {

Status CheckLogin(std::string_view login) {
  const bool plain = std::all_of(login.begin(), login.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
  if (login.empty() || login.size() > 32 || !plain) {
    return InvalidArgument("login must be 1-32 of a-z, 0-9, '.', '_' and '-'");
  }
  return OkStatus();
}

std::string StaffAad(std::string_view staff_id) {
  return SealedAad("staff", "sealed_name", staff_id);
}

// The member's row without the name: id, org_id, login, active, created_at.
StaffMember MemberOf(const store::Row& row) {
  return {.id = row.Text(0),
          .org_id = row.Text(1),
          .login = row.Text(2),
          .active = row.Int(3) != 0,
          .created_at = FromUnixSeconds(row.Int(4))};
}

}  // namespace

Result<StaffMember> Staff::Create(std::string_view org_id, std::string_view login,
                                  std::string_view name, std::string_view password) {
  PlatformCore& core = *core_;
  CITYCODE_RETURN_IF_ERROR(CheckLogin(login));
  CITYCODE_RETURN_IF_ERROR(CheckDisplayName(name));
  if (password.size() < 8 || password.size() > crypto::kMaxPasswordBytes) {
    return InvalidArgument("password must have 8-1024 characters");
  }
  CITYCODE_ASSIGN_OR_RETURN(std::string hash,
                            core.passwords.Hash(password, core.options.password_cost));
  StaffMember member{.id = RandomId("stf"),
                     .org_id = std::string(org_id),
                     .login = std::string(login),
                     .name = std::string(name),
                     .created_at = core.clock.Now()};
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        CITYCODE_ASSIGN_OR_RETURN(auto org, tx.QueryOptional("SELECT 1 FROM organisations "
                                                             "WHERE id = ?",
                                                             {Text(org_id)}));
        if (!org) return NotFound("no such organisation");
        const store::Value params[] = {
            Text(member.id), Text(org_id),
            Text(login),     Blob(core.keyring.Seal(AsBytes(name), StaffAad(member.id))),
            Text(hash),      Time(member.created_at)};
        Status inserted = tx.Execute(
                                "INSERT INTO staff (id, org_id, login, sealed_name, password_hash, "
                                "active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                                params)
                              .status();
        if (inserted.code() == StatusCode::kAlreadyExists) {
          return AlreadyExists("the organisation has a member with this login");
        }
        return inserted;
      }));
  return member;
}

Result<std::vector<StaffMember>> Staff::List(std::string_view org_id) {
  PlatformCore& core = *core_;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows, tx->Query("SELECT id, org_id, login, active, created_at, sealed_name FROM staff "
                           "WHERE org_id = ? ORDER BY login",
                           {Text(org_id)}));
  std::vector<StaffMember> members;
  for (const store::Row& row : rows) {
    StaffMember member = MemberOf(row);
    CITYCODE_ASSIGN_OR_RETURN(Bytes name, core.keyring.Open(row.Blob(5), StaffAad(member.id)));
    member.name = std::string(AsChars(name));
    members.push_back(std::move(member));
  }
  return members;
}

Status Staff::Disable(std::string_view org_id, std::string_view staff_id) {
  return store::RunInTransaction(
      core_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            std::int64_t changed,
            tx.Execute("UPDATE staff SET active = 0 WHERE id = ? AND org_id = ?",
                       {Text(staff_id), Text(org_id)}));
        if (changed == 0) return NotFound("no such member of this organisation");
        return tx.Execute("DELETE FROM staff_sessions WHERE staff_id = ?", {Text(staff_id)})
            .status();
      });
}

Result<StaffSession> Staff::SignIn(const Principal& terminal, std::string_view login,
                                   std::string_view password, std::string_view client_address) {
  PlatformCore& core = *core_;
  const Status refused = Unauthenticated("wrong login or password");
  if (terminal.role != Role::kTerminal) return PermissionDenied("staff sign in at a terminal");
  if (!CheckLogin(login).ok() || password.size() > crypto::kMaxPasswordBytes) return refused;
  std::optional<store::Row> row;
  {
    CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
    CITYCODE_ASSIGN_OR_RETURN(
        row, tx->QueryOptional("SELECT id, org_id, login, active, created_at, sealed_name, "
                               "password_hash FROM staff WHERE org_id = ? AND login = ?",
                               {Text(terminal.org_id), Text(login)}));
  }
  // A disabled member's password is checked as any other, and refused.
  const bool usable = row && row->Int(3) != 0;
  CITYCODE_RETURN_IF_ERROR(core.CheckLoginPassword(
      "staff:" + terminal.org_id + ":" + std::string(login), client_address,
      usable ? std::optional<std::string_view>(row->Text(6)) : std::nullopt, password, refused));
  StaffSession session{.member = MemberOf(*row)};
  CITYCODE_ASSIGN_OR_RETURN(Bytes name,
                            core.keyring.Open(row->Blob(5), StaffAad(session.member.id)));
  session.member.name = std::string(AsChars(name));
  const std::string secret = NewSecret();
  const Instant now = core.clock.Now();
  session.token = std::string(kStaffSessionPrefix) + secret;
  session.expires_at = now + core.options.session_lifetime;
  const store::Value params[] = {Blob(SecretHash(secret)), Text(session.member.id),
                                 Text(terminal.terminal_id), Time(now), Time(session.expires_at)};
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(core.db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx
            .Execute(
                "INSERT INTO staff_sessions (token_hash, staff_id, terminal_id, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                params)
            .status();
      }));
  return session;
}

Result<StaffMember> Staff::Authenticate(const Principal& terminal, std::string_view token) {
  PlatformCore& core = *core_;
  const Status refused = Unauthenticated(
      "the staff session is unknown, ended or of another "
      "terminal; sign in again");
  if (!token.starts_with(kStaffSessionPrefix)) return refused;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Blob(SecretHash(token.substr(kStaffSessionPrefix.size()))),
                                 Text(terminal.terminal_id), Time(core.clock.Now())};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx->QueryOptional("SELECT s.id, s.org_id, s.login, s.active, s.created_at "
                                  "FROM staff_sessions x JOIN staff s ON s.id = x.staff_id "
                                  "WHERE x.token_hash = ? AND x.terminal_id = ? "
                                  "AND x.expires_at > ? AND s.active = 1",
                                  params));
  if (!row) return refused;
  return MemberOf(*row);
}

Status Staff::SignOut(std::string_view token) {
  if (!token.starts_with(kStaffSessionPrefix)) return InvalidArgument("not a staff session");
  const store::Value params[] = {Blob(SecretHash(token.substr(kStaffSessionPrefix.size())))};
  return store::RunInTransaction(
      core_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx.Execute("DELETE FROM staff_sessions WHERE token_hash = ?", params).status();
      });
}

}  // namespace citycode::platform
