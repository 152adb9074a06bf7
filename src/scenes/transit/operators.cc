#include "scenes/transit/operators.h"

#include <algorithm>

namespace citycode::transit {
namespace {

using store::Text;

Status Refused(std::string reason, std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message), std::move(reason));
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

Result<std::vector<std::string>> Operators::AgenciesOf(store::Transaction& tx,
                                                       std::string_view org_id) {
  const store::Value params[] = {Text(org_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT agency_id FROM transit_operator_agencies "
                                                "WHERE org_id = ? ORDER BY agency_id",
                                                params));
  std::vector<std::string> out;
  for (const store::Row& row : rows) out.push_back(row.Text(0));
  return out;
}

Result<std::vector<std::string>> Operators::RunnersOf(std::string_view agency_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, db_.Begin(store::TransactionMode::kRead));
  const store::Value params[] = {Text(agency_id)};
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx->Query("SELECT org_id FROM transit_operator_agencies "
                                                 "WHERE agency_id = ? ORDER BY org_id",
                                                 params));
  std::vector<std::string> out;
  for (const store::Row& row : rows) out.push_back(row.Text(0));
  return out;
}

Status Operators::AddAgency(std::string_view org_id, std::string_view agency_id) {
  if (!feed_.agencies.contains(std::string(agency_id))) {
    return NotFound("the feed has no such agency", "unknown_agency");
  }
  CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org, platform_.organisations().Get(org_id));
  if (org.kind != platform::OrgKind::kTransitOperator) {
    return FailedPrecondition("only a transit operator runs an agency");
  }
  return store::RunInTransaction(db_, store::TransactionMode::kWrite, [&](store::Transaction& tx) {
    const store::Value params[] = {Text(org_id), Text(agency_id)};
    return tx
        .Execute(
            "INSERT INTO transit_operator_agencies (org_id, agency_id) VALUES (?, ?) "
            "ON CONFLICT (org_id, agency_id) DO NOTHING",
            params)
        .status();
  });
}

Status Operators::BindTerminal(std::string_view org_id, std::string_view terminal_id,
                               std::string_view route_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto terminals, platform_.access_keys().ListTerminals(org_id));
  const bool ours = std::any_of(terminals.begin(), terminals.end(),
                                [&](const platform::Terminal& t) { return t.id == terminal_id; });
  if (!ours) return NotFound("no such terminal of this organisation");
  return store::RunInTransaction(
      db_, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        const store::Value terminal[] = {Text(terminal_id)};
        if (route_id.empty()) {
          return tx.Execute("DELETE FROM transit_terminal_routes WHERE terminal_id = ?", terminal)
              .status();
        }
        auto route = feed_.routes.find(std::string(route_id));
        CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> agencies, AgenciesOf(tx, org_id));
        if (route == feed_.routes.end() || !Contains(agencies, route->second.agency_id)) {
          return Refused("route_of_another_operator", "this operator does not run that route");
        }
        const store::Value params[] = {Text(terminal_id), Text(route_id)};
        return tx
            .Execute(
                "INSERT INTO transit_terminal_routes (terminal_id, route_id) VALUES (?, ?) "
                "ON CONFLICT (terminal_id) DO UPDATE SET route_id = excluded.route_id",
                params)
            .status();
      });
}

Result<OperatorSetup> Operators::Get(std::string_view org_id) {
  CITYCODE_ASSIGN_OR_RETURN(auto terminals, platform_.access_keys().ListTerminals(org_id));
  CITYCODE_ASSIGN_OR_RETURN(auto tx, db_.Begin(store::TransactionMode::kRead));
  OperatorSetup setup;
  CITYCODE_ASSIGN_OR_RETURN(setup.agency_ids, AgenciesOf(*tx, org_id));
  for (const platform::Terminal& t : terminals) {
    const store::Value params[] = {Text(t.id)};
    CITYCODE_ASSIGN_OR_RETURN(
        auto row,
        tx->QueryOptional("SELECT route_id FROM transit_terminal_routes WHERE terminal_id = ?",
                          params));
    if (row) setup.terminal_routes.emplace_back(t.id, row->Text(0));
  }
  return setup;
}

Status Operators::CheckTaps(const platform::Principal& terminal,
                            const std::vector<ScannedTap>& taps) {
  if (terminal.scene != code::Scene::kTransit) {
    return PermissionDenied("only transit terminals upload taps");
  }
  CITYCODE_ASSIGN_OR_RETURN(auto tx, db_.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> agencies, AgenciesOf(*tx, terminal.org_id));
  if (agencies.empty()) {
    return Refused("operator_not_bound",
                   "this terminal's organisation runs no agency of the feed yet");
  }
  const store::Value params[] = {Text(terminal.terminal_id)};
  CITYCODE_ASSIGN_OR_RETURN(
      auto bound,
      tx->QueryOptional("SELECT route_id FROM transit_terminal_routes WHERE terminal_id = ?",
                        params));
  for (std::size_t i = 0; i < taps.size(); ++i) {
    const std::string& route_id = taps[i].tap.route_id;
    const std::string tap = "tap " + std::to_string(i) + ": ";
    if (!Contains(agencies, feed_.routes.at(route_id).agency_id)) {
      return Refused("route_of_another_operator",
                     tap + "route " + route_id + " is run by another operator");
    }
    if (bound && bound->Text(0) != route_id) {
      return Refused("route_not_this_terminals",
                     tap + "this terminal serves route " + bound->Text(0) + " only");
    }
  }
  return OkStatus();
}

}  // namespace citycode::transit
