// Organisations, their sites and terminals, and the API keys of every role.
#include "crypto/random.h"
#include "platform/internal/impl.h"
#include "platform/platform.h"

namespace citycode::platform {
namespace {

constexpr OrgKind kAllKinds[] = {OrgKind::kServiceHall, OrgKind::kTransitOperator,
                                 OrgKind::kHospital,    OrgKind::kHotel,
                                 OrgKind::kAccessSite,  OrgKind::kIssuingAgency};

Status CheckDisplayName(std::string_view name) {
  if (name.empty() || name.size() > 200) return InvalidArgument("name must be 1-200 bytes");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return InvalidArgument("name must not hold control characters");
  }
  return OkStatus();
}

Result<Organisation> OrganisationFromRow(const store::Row& row) {
  CITYCODE_ASSIGN_OR_RETURN(OrgKind kind, OrgKindFromName(row.Text(2)));
  return Organisation{.id = row.Text(0),
                      .name = row.Text(1),
                      .kind = kind,
                      .demo = row.Int(3) != 0,
                      .created_at = FromUnixSeconds(row.Int(4))};
}

Result<Terminal> TerminalFromRow(const store::Row& row) {
  CITYCODE_ASSIGN_OR_RETURN(code::Scene scene, code::SceneFromName(row.Text(3)));
  return Terminal{.id = row.Text(0),
                  .org_id = row.Text(1),
                  .site_id = row.Text(2),
                  .scene = scene,
                  .name = row.Text(4),
                  .active = row.Int(5) != 0};
}

constexpr std::string_view kOrgColumns =
    "SELECT id, name, kind, demo, created_at FROM organisations";
constexpr std::string_view kTerminalColumns =
    "SELECT id, org_id, site_id, scene, name, active FROM terminals";

}  // namespace

std::string_view OrgKindName(OrgKind kind) {
  switch (kind) {
    case OrgKind::kServiceHall: return "service_hall";
    case OrgKind::kTransitOperator: return "transit_operator";
    case OrgKind::kHospital: return "hospital";
    case OrgKind::kHotel: return "hotel";
    case OrgKind::kAccessSite: return "access_site";
    case OrgKind::kIssuingAgency: return "issuing_agency";
  }
  return "unknown";
}

Result<OrgKind> OrgKindFromName(std::string_view name) {
  for (OrgKind kind : kAllKinds) {
    if (name == OrgKindName(kind)) return kind;
  }
  return InvalidArgument(
      "kind must be one of service_hall, transit_operator, hospital, hotel, access_site, "
      "issuing_agency");
}

std::optional<code::Scene> SceneOfKind(OrgKind kind) {
  switch (kind) {
    case OrgKind::kServiceHall: return code::Scene::kGov;
    case OrgKind::kTransitOperator: return code::Scene::kTransit;
    case OrgKind::kHospital: return code::Scene::kMedical;
    case OrgKind::kHotel: return code::Scene::kHotel;
    case OrgKind::kAccessSite: return code::Scene::kAccess;
    case OrgKind::kIssuingAgency: return std::nullopt;
  }
  return std::nullopt;
}

Result<NewApiKey> Platform::Impl::AddApiKey(store::Transaction& tx, Role role,
                                            std::string_view name, std::string_view org_id,
                                            std::string_view terminal_id,
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
  return NewApiKey{.key_id = id, .token = "cck_" + id + "_" + secret};
}

Result<Organisation> Platform::CreateOrganisation(std::string_view name, OrgKind kind, bool demo) {
  CITYCODE_RETURN_IF_ERROR(CheckDisplayName(name));
  demo = demo || impl_->options.demo;
  Organisation org{.id = RandomId("org"),
                   .name = std::string(name),
                   .kind = kind,
                   .demo = demo,
                   .created_at = impl_->clock.Now()};
  const store::Value params[] = {Text(org.id), Text(org.name), Text(OrgKindName(kind)),
                                 Int(demo ? 1 : 0), Time(org.created_at)};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx
            .Execute(
                "INSERT INTO organisations (id, name, kind, demo, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                params)
            .status();
      }));
  return org;
}

Result<std::vector<Organisation>> Platform::ListOrganisations() {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx->Query(std::string(kOrgColumns) + " ORDER BY name, id"));
  std::vector<Organisation> out;
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(auto org, OrganisationFromRow(row));
    out.push_back(std::move(org));
  }
  return out;
}

Result<Organisation> Platform::GetOrganisation(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto row,
                            tx->QueryOptional(std::string(kOrgColumns) + " WHERE id = ?", params));
  if (!row) return NotFound("no such organisation");
  return OrganisationFromRow(*row);
}

Result<Site> Platform::CreateSite(std::string_view org_id, std::string_view name) {
  CITYCODE_RETURN_IF_ERROR(CheckDisplayName(name));
  Site site{.id = RandomId("site"), .org_id = std::string(org_id), .name = std::string(name)};
  const store::Value params[] = {Text(site.id), Text(org_id), Text(name), Time(impl_->clock.Now())};
  const Status status = store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx
            .Execute("INSERT INTO sites (id, org_id, name, created_at) VALUES (?, ?, ?, ?)", params)
            .status();
      });
  if (status.code() == StatusCode::kFailedPrecondition) return NotFound("no such organisation");
  CITYCODE_RETURN_IF_ERROR(status);
  return site;
}

Result<std::vector<Site>> Platform::ListSites(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query("SELECT id, org_id, name FROM sites WHERE org_id = ? ORDER BY name, id", params));
  std::vector<Site> out;
  for (const auto& row : rows) out.push_back({row.Text(0), row.Text(1), row.Text(2)});
  return out;
}

Result<std::pair<Terminal, NewApiKey>> Platform::CreateTerminal(std::string_view org_id,
                                                                std::string_view site_id,
                                                                std::string_view name) {
  CITYCODE_RETURN_IF_ERROR(CheckDisplayName(name));
  CITYCODE_ASSIGN_OR_RETURN(Organisation org, GetOrganisation(org_id));
  const auto scene = SceneOfKind(org.kind);
  if (!scene) return FailedPrecondition("an issuing agency runs no terminals");
  std::pair<Terminal, NewApiKey> out;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
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
                                       Text(terminal.name), Time(impl_->clock.Now())};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO terminals (id, org_id, site_id, scene, name, active, "
                       "created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                       params)
                .status());
        CITYCODE_ASSIGN_OR_RETURN(
            NewApiKey key, impl_->AddApiKey(tx, Role::kTerminal, "terminal " + terminal.id, org_id,
                                            terminal.id, std::nullopt));
        out = {std::move(terminal), std::move(key)};
        return OkStatus();
      }));
  return out;
}

Result<std::vector<Terminal>> Platform::ListTerminals(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
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

Result<NewApiKey> Platform::RotateTerminalKey(std::string_view org_id,
                                              std::string_view terminal_id) {
  NewApiKey key;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value lookup[] = {Text(terminal_id), Text(org_id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto terminal,
            tx.QueryOptional("SELECT active FROM terminals WHERE id = ? AND org_id = ?", lookup));
        if (!terminal) return NotFound("no such terminal in this organisation");
        if (terminal->Int(0) == 0) return FailedPrecondition("the terminal is disabled");
        const store::Value revoke[] = {Time(impl_->clock.Now()), Text(terminal_id)};
        CITYCODE_RETURN_IF_ERROR(
            tx.Execute("UPDATE api_keys SET revoked_at = ? WHERE terminal_id = ? AND "
                       "revoked_at IS NULL",
                       revoke)
                .status());
        CITYCODE_ASSIGN_OR_RETURN(
            key, impl_->AddApiKey(tx, Role::kTerminal, "terminal " + std::string(terminal_id),
                                  org_id, terminal_id, std::nullopt));
        return OkStatus();
      }));
  return key;
}

Status Platform::DisableTerminal(std::string_view org_id, std::string_view terminal_id) {
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value params[] = {Text(terminal_id), Text(org_id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto changed,
            tx.Execute("UPDATE terminals SET active = 0 WHERE id = ? AND org_id = ?", params));
        if (changed != 1) return NotFound("no such terminal in this organisation");
        const store::Value revoke[] = {Time(impl_->clock.Now()), Text(terminal_id)};
        return tx
            .Execute(
                "UPDATE api_keys SET revoked_at = ? WHERE terminal_id = ? AND "
                "revoked_at IS NULL",
                revoke)
            .status();
      });
}

Result<NewApiKey> Platform::CreateAdminKey(std::string_view name) {
  NewApiKey key;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(key,
                                  impl_->AddApiKey(tx, Role::kAdmin, name, {}, {}, std::nullopt));
        return OkStatus();
      }));
  return key;
}

Result<NewApiKey> Platform::CreateOrgAdminKey(std::string_view org_id, std::string_view name) {
  CITYCODE_RETURN_IF_ERROR(GetOrganisation(org_id).status());
  NewApiKey key;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(
            key, impl_->AddApiKey(tx, Role::kOrgAdmin, name, org_id, {}, std::nullopt));
        return OkStatus();
      }));
  return key;
}

Result<NewApiKey> Platform::CreateChannelKey(code::Channel channel, std::string_view name) {
  if (channel == code::Channel::kCard) return InvalidArgument("cards are not an issuing channel");
  NewApiKey key;
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(key, impl_->AddApiKey(tx, Role::kChannel, name, {}, {}, channel));
        return OkStatus();
      }));
  return key;
}

Status Platform::RevokeApiKey(std::string_view key_id) {
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value params[] = {Time(impl_->clock.Now()), Text(key_id)};
        CITYCODE_ASSIGN_OR_RETURN(
            auto changed,
            tx.Execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                       params));
        return changed == 1 ? OkStatus() : NotFound("no such active API key");
      });
}

}  // namespace citycode::platform
