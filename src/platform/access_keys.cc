// Terminals and the API keys of every role, and authentication of every
// bearer token (API keys and citizens' sessions).
#include "platform/access_keys.h"

#include "crypto/random.h"
#include "platform/internal/core.h"
#include "platform/organisations.h"

namespace citycode::platform {
namespace {

Result<Terminal> TerminalFromRow(const store::Row& row) {
  CITYCODE_ASSIGN_OR_RETURN(code::Scene scene, code::SceneFromName(row.Text(3)));
  return Terminal{.id = row.Text(0),
                  .org_id = row.Text(1),
                  .site_id = row.Text(2),
                  .scene = scene,
                  .name = row.Text(4),
                  .active = row.Int(5) != 0};
}

constexpr std::string_view kTerminalColumns =
    "SELECT id, org_id, site_id, scene, name, active FROM terminals";

}  // namespace

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

Result<NewApiKey> PlatformCore::AddApiKey(store::Transaction& tx, Role role, std::string_view name,
                                          std::string_view org_id, std::string_view terminal_id,
                                          std::optional<code::Channel> channel) {
  CITYCODE_RETURN_IF_ERROR(CheckDisplayName(name));
  // The id is hex without '_', so "cck_<id>_<secret>" splits at the first '_'.
  const std::string id = ToHex(crypto::RandomArray<12>());
  const std::string secret = NewSecret();
  const auto optional_text = [](std::string_view v) -> store::Value {
    return v.empty() ? store::Value(nullptr) : Text(v);
  };
  const store::Value params[] = {
      Text(id),
      Text(RoleName(role)),
      optional_text(org_id),
      optional_text(terminal_id),
      channel ? Text(code::ChannelName(*channel)) : store::Value(nullptr),
      Text(name),
      Blob(SecretHash(secret)),
      Time(clock.Now())};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO api_keys (id, role, org_id, terminal_id, channel, name, secret_hash, "
                 "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 params)
          .status());
  return NewApiKey{.key_id = id, .token = std::string(kApiKeyPrefix) + id + "_" + secret};
}

Result<std::pair<Terminal, NewApiKey>> AccessKeys::CreateTerminal(std::string_view org_id,
                                                                  std::string_view site_id,
                                                                  std::string_view name) {
  CITYCODE_RETURN_IF_ERROR(CheckDisplayName(name));
  CITYCODE_ASSIGN_OR_RETURN(Organisation org, Organisations(*core_).Get(org_id));
  const auto scene = SceneOfKind(org.kind);
  if (!scene) return FailedPrecondition("an issuing agency runs no terminals");
  std::pair<Terminal, NewApiKey> out;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value site_params[] = {Text(site_id), Text(org_id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto site,
            tx.QueryOptional("SELECT id FROM sites WHERE id = ? AND org_id = ?", site_params));
        if (!site) return NotFound("no such site in this organisation");
        Terminal terminal{.id = RandomId("term"),
                          .org_id = std::string(org_id),
                          .site_id = std::string(site_id),
                          .scene = *scene,
                          .name = std::string(name)};
        const store::Value params[] = {Text(terminal.id),   Text(org_id),
                                       Text(site_id),       Text(code::SceneName(*scene)),
                                       Text(terminal.name), Time(core_->clock.Now())};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO terminals (id, org_id, site_id, scene, name, active, "
                       "created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                       params)
                .status());
        CITYCODE_ASSIGN_OR_RETURN(
            NewApiKey key, core_->AddApiKey(tx, Role::kTerminal, "terminal " + terminal.id, org_id,
                                            terminal.id, std::nullopt));
        out = {std::move(terminal), std::move(key)};
        return OkStatus();
      }));
  return out;
}

Result<std::vector<Terminal>> AccessKeys::ListTerminals(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query(std::string(kTerminalColumns) + " WHERE org_id = ? ORDER BY name, id", params));
  std::vector<Terminal> out;
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(auto terminal, TerminalFromRow(row));
    out.push_back(std::move(terminal));
  }
  return out;
}

Result<NewApiKey> AccessKeys::RotateTerminalKey(std::string_view org_id,
                                                std::string_view terminal_id) {
  NewApiKey key;
  CITYCODE_RETURN_IF_ERROR(core_->ChangeAccess([&](store::Transaction& tx) -> Status {
    const store::Value lookup[] = {Text(terminal_id), Text(org_id)};
    CITYCODE_ASSIGN_OR_RETURN(
        auto terminal,
        tx.QueryOptional("SELECT active FROM terminals WHERE id = ? AND org_id = ?", lookup));
    if (!terminal) return NotFound("no such terminal in this organisation");
    if (terminal->Int(0) == 0) return FailedPrecondition("the terminal is disabled");
    const store::Value revoke[] = {Time(core_->clock.Now()), Text(terminal_id)};
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute("UPDATE api_keys SET revoked_at = ? WHERE terminal_id = ? AND "
                   "revoked_at IS NULL",
                   revoke)
            .status());
    CITYCODE_ASSIGN_OR_RETURN(
        key, core_->AddApiKey(tx, Role::kTerminal, "terminal " + std::string(terminal_id), org_id,
                              terminal_id, std::nullopt));
    return OkStatus();
  }));
  return key;
}

Status AccessKeys::DisableTerminal(std::string_view org_id, std::string_view terminal_id) {
  return core_->ChangeAccess([&](store::Transaction& tx) -> Status {
    const store::Value params[] = {Text(terminal_id), Text(org_id)};
    CITYCODE_ASSIGN_OR_RETURN(
        auto changed,
        tx.Execute("UPDATE terminals SET active = 0 WHERE id = ? AND org_id = ?", params));
    if (changed != 1) return NotFound("no such terminal in this organisation");
    const store::Value revoke[] = {Time(core_->clock.Now()), Text(terminal_id)};
    return tx
        .Execute(
            "UPDATE api_keys SET revoked_at = ? WHERE terminal_id = ? AND "
            "revoked_at IS NULL",
            revoke)
        .status();
  });
}

Result<NewApiKey> AccessKeys::CreateAdminKey(std::string_view name) {
  NewApiKey key;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(key,
                                  core_->AddApiKey(tx, Role::kAdmin, name, {}, {}, std::nullopt));
        return OkStatus();
      }));
  return key;
}

Result<NewApiKey> AccessKeys::CreateOrgAdminKey(std::string_view org_id, std::string_view name) {
  CITYCODE_RETURN_IF_ERROR(Organisations(*core_).Get(org_id).status());
  NewApiKey key;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            key, core_->AddApiKey(tx, Role::kOrgAdmin, name, org_id, {}, std::nullopt));
        return OkStatus();
      }));
  return key;
}

Result<NewApiKey> AccessKeys::CreateChannelKey(code::Channel channel, std::string_view name) {
  if (channel == code::Channel::kCard) return InvalidArgument("cards are not an issuing channel");
  NewApiKey key;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(key, core_->AddApiKey(tx, Role::kChannel, name, {}, {}, channel));
        return OkStatus();
      }));
  return key;
}

Status AccessKeys::RevokeApiKey(std::string_view key_id) {
  return core_->ChangeAccess([&](store::Transaction& tx) -> Status {
    const store::Value params[] = {Time(core_->clock.Now()), Text(key_id)};
    CITYCODE_ASSIGN_OR_RETURN(
        auto changed,
        tx.Execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                   params));
    return changed == 1 ? OkStatus() : NotFound("no such active API key");
  });
}

Result<Principal> AccessKeys::Authenticate(std::string_view token) {
  const Instant now = core_->clock.Now();
  if (auto cached = core_->auth_cache.Find(token, now)) return *std::move(cached);
  const std::uint64_t generation = core_->auth_cache.generation();
  CITYCODE_ASSIGN_OR_RETURN(Principal principal, Lookup(token, now));
  core_->auth_cache.Put(token, principal, now, generation);
  return principal;
}

Result<Principal> AccessKeys::Lookup(std::string_view token, Instant now) {
  PlatformCore& core = *core_;
  const Status refused = Unauthenticated("unknown, expired or revoked credentials");
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core.db.Begin(store::TransactionMode::kRead));
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

Result<Principal> AccessKeys::TerminalPrincipal(std::string_view terminal_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(terminal_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto row, tx->QueryOptional("SELECT org_id, site_id, scene FROM terminals WHERE id = ? AND "
                                  "active = 1",
                                  params));
  if (!row) return NotFound("no such active terminal");
  Principal principal{.role = Role::kTerminal,
                      .key_id = "terminal " + std::string(terminal_id),
                      .org_id = row->Text(0),
                      .terminal_id = std::string(terminal_id),
                      .site_id = row->Text(1)};
  CITYCODE_ASSIGN_OR_RETURN(principal.scene, code::SceneFromName(row->Text(2)));
  return principal;
}

}  // namespace citycode::platform
