// The city operator's dashboard: what the services did in the last hours,
// aggregated in the database — verifications (platform/activity.h), vault
// fetches and the audit log's head, terminals gone silent, the outbox, and
// each opened scene's own figures (api::Scene::Dashboard).
#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "outbox/outbox.h"
#include "server/internal/core_routes.h"

namespace citycode::server::internal {
namespace {

using nlohmann::json;

constexpr int kDefaultHours = 24;
constexpr std::chrono::minutes kSilentAfter{60};
constexpr std::size_t kSilentListed = 20;

// hours=1…168 (platform::Activity::kMaxWindow), default 24.
Result<int> WindowHours(const Call& call) {
  const auto it = call.request.query.find("hours");
  if (it == call.request.query.end()) return kDefaultHours;
  const std::string& text = it->second;
  int hours = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), hours);
  const int max_hours = static_cast<int>(platform::Activity::kMaxWindow.count());
  if (error != std::errc() || end != text.data() + text.size() || hours < 1 || hours > max_hours) {
    return InvalidArgument("hours must be 1 to " + std::to_string(max_hours), "bad_hours");
  }
  return hours;
}

// By hour and scene the valid and refused counts; refusals by scene and
// reason, most first.
json VerificationsJson(const std::vector<platform::VerificationCount>& counts) {
  std::map<std::pair<Instant, std::string>, std::pair<std::int64_t, std::int64_t>> by_hour;
  std::map<std::pair<std::string, std::string>, std::int64_t> refusals;
  std::int64_t valid = 0, refused = 0;
  for (const auto& c : counts) {
    auto& cell = by_hour[{c.hour, c.scene}];
    (c.valid ? cell.first : cell.second) += c.count;
    (c.valid ? valid : refused) += c.count;
    if (!c.valid) refusals[{c.scene, c.reason}] += c.count;
  }
  json hours = json::array();
  for (const auto& [key, cell] : by_hour) {
    hours.push_back({{"hour", FormatRfc3339(key.first)},
                     {"scene", key.second},
                     {"valid", cell.first},
                     {"refused", cell.second}});
  }
  std::vector<std::tuple<std::int64_t, std::string, std::string>> ranked;
  for (const auto& [key, count] : refusals) ranked.emplace_back(count, key.first, key.second);
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  json reasons = json::array();
  for (const auto& [count, scene, reason] : ranked) {
    reasons.push_back({{"scene", scene}, {"reason", reason}, {"count", count}});
  }
  return {{"valid", valid}, {"refused", refused}, {"by_hour", hours}, {"refusals", reasons}};
}

Result<json> VaultJson(vault::Vault& vault, Instant since) {
  const std::string actions[] = {"certificate.fetch", "fetch.refused"};
  CITYCODE_ASSIGN_OR_RETURN(auto counts, vault.audit().CountByHour(since, actions));
  std::map<Instant, std::pair<std::int64_t, std::int64_t>> by_hour;
  std::int64_t fetches = 0, refused = 0;
  for (const auto& c : counts) {
    const bool fetch = c.action == actions[0];
    (fetch ? by_hour[c.hour].first : by_hour[c.hour].second) += c.count;
    (fetch ? fetches : refused) += c.count;
  }
  json hours = json::array();
  for (const auto& [hour, cell] : by_hour) {
    hours.push_back(
        {{"hour", FormatRfc3339(hour)}, {"fetches", cell.first}, {"refused", cell.second}});
  }
  CITYCODE_ASSIGN_OR_RETURN(vault::AuditHead head, vault.audit().Head());
  json checkpoint;
  if (auto latest = vault.audit().LatestCheckpoint(); latest.ok()) {
    checkpoint = {
        {"seq", latest->seq}, {"at", FormatRfc3339(latest->at)}, {"hash", ToHex(latest->hash)}};
  } else if (latest.status().code() != StatusCode::kNotFound) {
    return latest.status();
  }
  return json{
      {"fetches", fetches},
      {"refused", refused},
      {"by_hour", hours},
      {"audit",
       {{"head", {{"seq", head.seq}, {"hash", ToHex(head.hash)}}}, {"checkpoint", checkpoint}}}};
}

Result<json> TerminalsJson(platform::Platform& p) {
  CITYCODE_ASSIGN_OR_RETURN(platform::TerminalActivity activity,
                            p.activity().Terminals(kSilentAfter, kSilentListed));
  json silent = json::array();
  for (const auto& t : activity.silent_terminals) {
    silent.push_back({{"id", t.id},
                      {"name", t.name},
                      {"scene", t.scene},
                      {"org_name", t.org_name},
                      {"site_name", t.site_name},
                      {"last_seen", t.last_seen ? json(FormatRfc3339(*t.last_seen)) : json()}});
  }
  return json{{"active", activity.active},
              {"silent", activity.silent},
              {"silent_after_minutes", kSilentAfter.count()},
              {"silent_terminals", silent}};
}

Result<json> OutboxJson(outbox::Outbox& outbox) {
  CITYCODE_ASSIGN_OR_RETURN(auto destinations, outbox.Destinations());
  json out = json::array();
  std::int64_t pending = 0, dead = 0;
  for (const auto& d : destinations) {
    pending += d.pending;
    dead += d.dead;
    out.push_back({{"name", d.name},
                   {"configured", d.configured},
                   {"pending", d.pending},
                   {"dead", d.dead},
                   {"disabled", d.disabled_at.has_value()}});
  }
  return json{{"pending", pending}, {"dead", dead}, {"destinations", out}};
}

Result<json> Dashboard(city::City& city, const Clock& clock, int hours) {
  const Instant now = clock.Now();
  // Whole hours: this one and the hours - 1 before it.
  const std::int64_t hour_start = ToUnixSeconds(now) - ToUnixSeconds(now) % 3600;
  const Instant since = FromUnixSeconds(hour_start - (hours - 1) * std::int64_t{3600});
  CITYCODE_ASSIGN_OR_RETURN(auto verifications, city.platform().activity().Verifications(since));
  json out = {{"generated_at", FormatRfc3339(now)},
              {"since", FormatRfc3339(since)},
              {"hours", hours},
              {"verifications", VerificationsJson(verifications)}};
  CITYCODE_ASSIGN_OR_RETURN(out["vault"], VaultJson(city.vault(), since));
  CITYCODE_ASSIGN_OR_RETURN(out["terminals"], TerminalsJson(city.platform()));
  CITYCODE_ASSIGN_OR_RETURN(out["outbox"], OutboxJson(city.outbox()));
  CITYCODE_ASSIGN_OR_RETURN(out["scenes"], city.DashboardScenes(since));
  return out;
}

}  // namespace

std::vector<api::RouteSpec> OpsRoutes(city::City& city, const Clock& clock) {
  std::vector<RouteSpec> routes;
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/ops/dashboard",
       .name = "ops_dashboard",
       .summary = "The operator's dashboard: verifications by hour, scene and refusal reason; "
                  "vault fetches and refusals; the audit log's head and last checkpoint; "
                  "active and silent terminals; the outbox; each scene's own figures",
       .roles = kAdmins,
       .query = {{.name = "hours",
                  .type = FieldType::kInteger,
                  .required = false,
                  .description = "the window: this hour and the hours before it, 1-168, "
                                 "default 24"}},
       .handler = [&city, &clock](Call& call) {
         auto hours = WindowHours(call);
         if (!hours.ok()) return ErrorResponse(hours.status());
         return Respond(Dashboard(city, clock, *hours), 200, [](const json& j) { return j; });
       }});
  return routes;
}

}  // namespace citycode::server::internal
