// Organisations and their sites.
#include "platform/organisations.h"

#include "crypto/random.h"
#include "platform/internal/core.h"

namespace citycode::platform {
namespace {

constexpr OrgKind kAllKinds[] = {OrgKind::kServiceHall, OrgKind::kTransitOperator,
                                 OrgKind::kHospital,    OrgKind::kHotel,
                                 OrgKind::kAccessSite,  OrgKind::kIssuingAgency};

Result<Organisation> OrganisationFromRow(const store::Row& row) {
  CITYCODE_ASSIGN_OR_RETURN(OrgKind kind, OrgKindFromName(row.Text(2)));
  return Organisation{.id = row.Text(0),
                      .name = row.Text(1),
                      .kind = kind,
                      .demo = row.Int(3) != 0,
                      .created_at = FromUnixSeconds(row.Int(4))};
}

constexpr std::string_view kOrgColumns =
    "SELECT id, name, kind, demo, created_at FROM organisations";

}  // namespace

Status CheckDisplayName(std::string_view name) {
  if (name.empty() || name.size() > 200) return InvalidArgument("name must be 1-200 bytes");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return InvalidArgument("name must not hold control characters");
  }
  return OkStatus();
}

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

Result<Organisation> Organisations::Create(std::string_view name, OrgKind kind, bool demo) {
  CITYCODE_RETURN_IF_ERROR(CheckDisplayName(name));
  demo = demo || core_->options.demo;
  Organisation org{.id = RandomId("org"),
                   .name = std::string(name),
                   .kind = kind,
                   .demo = demo,
                   .created_at = core_->clock.Now()};
  const store::Value params[] = {Text(org.id), Text(org.name), Text(OrgKindName(kind)),
                                 Int(demo ? 1 : 0), Time(org.created_at)};
  CITYCODE_RETURN_IF_ERROR(store::RunInTransaction(
      core_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx
            .Execute(
                "INSERT INTO organisations (id, name, kind, demo, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                params)
            .status();
      }));
  return org;
}

Result<std::vector<Organisation>> Organisations::List() {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx->Query(std::string(kOrgColumns) + " ORDER BY name, id"));
  std::vector<Organisation> out;
  for (const auto& row : rows) {
    CITYCODE_ASSIGN_OR_RETURN(auto org, OrganisationFromRow(row));
    out.push_back(std::move(org));
  }
  return out;
}

Result<Organisation> Organisations::Get(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto row,
                            tx->QueryOptional(std::string(kOrgColumns) + " WHERE id = ?", params));
  if (!row) return NotFound("no such organisation");
  return OrganisationFromRow(*row);
}

Result<Site> Organisations::CreateSite(std::string_view org_id, std::string_view name) {
  CITYCODE_RETURN_IF_ERROR(CheckDisplayName(name));
  Site site{.id = RandomId("site"), .org_id = std::string(org_id), .name = std::string(name)};
  const store::Value params[] = {Text(site.id), Text(org_id), Text(name), Time(core_->clock.Now())};
  const Status status = store::RunInTransaction(
      core_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
        return tx
            .Execute("INSERT INTO sites (id, org_id, name, created_at) VALUES (?, ?, ?, ?)", params)
            .status();
      });
  if (status.code() == StatusCode::kFailedPrecondition) return NotFound("no such organisation");
  CITYCODE_RETURN_IF_ERROR(status);
  return site;
}

Result<std::vector<Site>> Organisations::ListSites(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, core_->db.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto rows,
      tx->Query("SELECT id, org_id, name FROM sites WHERE org_id = ? ORDER BY name, id", params));
  std::vector<Site> out;
  for (const auto& row : rows) out.push_back({row.Text(0), row.Text(1), row.Text(2)});
  return out;
}

}  // namespace citycode::platform
