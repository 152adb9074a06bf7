// The transit scene's routes: gates and validators upload taps, riders see
// their trips and daily bill, an admin runs the daily clearing and refunds.
// HTTP <-> domain translation only; the upload's rules are in tap_upload.h.
#include <nlohmann/json.hpp>
#include <set>

#include "api/route.h"
#include "scenes/transit/tap_upload.h"
#include "scenes/transit/transit_scene.h"

namespace citycode::transit {
namespace {

using api::Call;
using api::ErrorResponse;
using api::FieldType;
using api::Json;
using api::Method;
using api::Param;
using api::Respond;
using api::Response;
using api::RouteSpec;
using api::Text;
using nlohmann::json;

// Fewer than Rides' limit: one request must finish well inside the handler
// deadline, each tap costing an online verification.
constexpr std::size_t kMaxTapsPerRequest = 1000;
// A tap's JSON is under 1 KiB (its code about 450 characters): a full batch
// fits.
constexpr std::size_t kMaxTapBatchBytes = kMaxTapsPerRequest * 1024;

// "YYYY-MM-DD", an operating day.
Result<Date> ParseDay(std::string_view text) {
  auto day = ParseIsoDate(text);
  if (!day.ok()) return InvalidArgument("day must be YYYY-MM-DD");
  return day;
}

Result<Date> QueryDay(const Call& call) {
  auto it = call.request.query.find("day");
  if (it == call.request.query.end()) return InvalidArgument("the query needs day=YYYY-MM-DD");
  return ParseDay(it->second);
}

const std::string* StringField(const json& item, const char* name) {
  auto it = item.find(name);
  return it != item.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// Checks one tap object fully, so that a bad batch is refused before any
// code is verified (verifying writes).
Result<ScannedTap> ParseTap(const json& item, const Feed& feed) {
  static const std::set<std::string, std::less<>> kKeys = {"sequence", "at",   "route_id",
                                                           "stop_id",  "kind", "code"};
  for (const auto& [key, value] : item.items()) {
    if (!kKeys.contains(key)) return InvalidArgument("unknown field \"" + key.substr(0, 64) + "\"");
  }
  ScannedTap out;
  auto sequence = item.find("sequence");
  if (sequence == item.end() || !sequence->is_number_integer() || sequence->get<std::int64_t>() < 0)
    return InvalidArgument("sequence must be an integer >= 0");
  out.tap.sequence = sequence->get<std::int64_t>();
  const std::string* at = StringField(item, "at");
  if (at == nullptr) return InvalidArgument("at must be an RFC 3339 string");
  auto instant = ParseRfc3339(*at);
  if (!instant.ok()) return InvalidArgument("at must be an RFC 3339 date-time");
  out.tap.at = *instant;
  const std::string* route = StringField(item, "route_id");
  if (route == nullptr) return InvalidArgument("route_id must name a route of the feed");
  out.tap.route_id = *route;
  const std::string* stop = StringField(item, "stop_id");
  if (stop == nullptr) return InvalidArgument("stop_id must name a stop of the feed");
  out.tap.stop_id = *stop;
  const std::string* kind = StringField(item, "kind");
  if (kind == nullptr) return InvalidArgument("kind must be board, entry or exit");
  CITYCODE_ASSIGN_OR_RETURN(out.tap.kind, TapKindFromName(*kind));
  CITYCODE_RETURN_IF_ERROR(CheckScannedTap(feed, out.tap));
  const std::string* code = StringField(item, "code");
  if (code == nullptr || code->empty() || code->size() > kMaxScannedCodeBytes) {
    return InvalidArgument("code must be the scanned text, 1-" +
                           std::to_string(kMaxScannedCodeBytes) + " bytes");
  }
  out.code = *code;
  return out;
}

json TripsJson(const Feed& feed, const Date& day, const std::vector<StoredCharge>& charges) {
  json trips = json::array();
  std::int64_t total = 0;
  for (const auto& c : charges) {
    if (c.rules == kVoidTripRules) continue;  // its taps now make another trip
    auto agency = feed.agencies.find(c.agency_id);
    trips.push_back({{"trip_id", c.trip_id},
                     {"start", FormatRfc3339(c.start)},
                     {"agency_id", c.agency_id},
                     {"agency_name", agency == feed.agencies.end() ? "" : agency->second.name},
                     {"amount", c.amount},
                     {"base_amount", c.base_amount},
                     {"rules", c.rules}});
    total += c.amount;
  }
  return {
      {"day", FormatIsoDate(day)}, {"trips", trips}, {"total", total}, {"currency_unit", "fen"}};
}

json OperatorJson(const OperatorSetup& setup) {
  json terminals = json::array();
  for (const auto& [terminal, route] : setup.terminal_routes) {
    terminals.push_back({{"terminal_id", terminal}, {"route_id", route}});
  }
  return {{"agency_ids", setup.agency_ids}, {"terminal_routes", terminals}};
}

}  // namespace

void TransitScene::AddOperatorRoutes(std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/transit/agencies",
                    .name = "transit_add_agency",
                    .summary = "The operator runs this agency of the feed: its terminals may "
                               "upload taps on the agency's routes",
                    .roles = {platform::Role::kAdmin},
                    .body = {{.name = "agency_id", .max_length = 64}},
                    .handler = [this](Call& call) {
                      Status added =
                          operators_->AddAgency(Param(call, "org"), Text(call, "agency_id"));
                      if (!added.ok()) return ErrorResponse(added);
                      return Respond(operators_->Get(Param(call, "org")), 200, OperatorJson);
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/transit/terminals/{terminal}/route",
       .name = "transit_bind_terminal",
       .summary = "The terminal serves only this route of the operator (\"\" frees it)",
       .roles = api::kOrgAdmins,
       .body = {{.name = "route_id", .max_length = 64}},
       .handler = [this](Call& call) {
         Status bound = operators_->BindTerminal(Param(call, "org"), Param(call, "terminal"),
                                                 Text(call, "route_id"));
         if (!bound.ok()) return ErrorResponse(bound);
         return Respond(operators_->Get(Param(call, "org")), 200, OperatorJson);
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/transit",
                    .name = "transit_operator",
                    .summary = "The agencies the operator runs and its terminals' routes",
                    .roles = api::kOrgAdmins,
                    .handler = [this](Call& call) {
                      return Respond(operators_->Get(Param(call, "org")), 200, OperatorJson);
                    }});
}

std::vector<RouteSpec> TransitScene::Routes() {
  std::vector<RouteSpec> routes;
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/transit/taps",
       .name = "upload_taps",
       .summary = "Upload a gate's or validator's taps (a batch, or one online tap); idempotent "
                  "by the terminal's sequence numbers",
       .roles = api::kTerminals,
       .body = {{.name = "taps",
                 .type = FieldType::kObjectArray,
                 .max_items = kMaxTapsPerRequest,
                 .description = "taps: sequence, at (RFC 3339), route_id, stop_id, kind "
                                "(board, entry, exit), code (the scanned text)"}},
       .max_body_bytes = kMaxTapBatchBytes,
       .handler = [this](Call& call) {
         std::vector<ScannedTap> taps;
         const json& items = call.body["taps"];
         for (std::size_t i = 0; i < items.size(); ++i) {
           auto tap = ParseTap(items[i], *feed_);
           if (!tap.ok()) {
             return ErrorResponse(InvalidArgument(
                 "tap " + std::to_string(i) + ": " + tap.status().message(), "bad_tap"));
           }
           taps.push_back(std::move(*tap));
         }
         return Respond(UploadScannedTaps(*tap_judge_, *rides_, *call.principal, std::move(taps)),
                        200, [](const UploadResult& counts) {
                          return json{{"stored", counts.stored},
                                      {"duplicates", counts.duplicates},
                                      {"refused", counts.refused},
                                      {"conflicts", counts.conflicts}};
                        });
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/trips",
                    .name = "my_trips",
                    .summary = "My trips of an operating day (?day=YYYY-MM-DD) with what each "
                               "costs and the rules that made the fare",
                    .roles = api::kCitizens,
                    .handler = [this](Call& call) {
                      auto day = QueryDay(call);
                      if (!day.ok()) return ErrorResponse(day.status());
                      return Respond(rides_->RiderCharges(call.principal->citizen_id, *day), 200,
                                     [&](const std::vector<StoredCharge>& charges) {
                                       return TripsJson(*feed_, *day, charges);
                                     });
                    }});
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/me/bill",
       .name = "my_bill",
       .summary = "My transit bill of an operating day (?day=YYYY-MM-DD): trips, adjustments, "
                  "the day's total and what I owe",
       .roles = api::kCitizens,
       .handler = [this](Call& call) {
         auto day = QueryDay(call);
         if (!day.ok()) return ErrorResponse(day.status());
         return Respond(clearing_->DailyBill(call.principal->citizen_id, *day), 200,
                        [](const Bill& bill) { return json::parse(BillJson(bill)); });
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/transit/clearing",
       .name = "run_transit_clearing",
       .summary = "Clear an operating day: each operator's settlement; running it again for an "
                  "unchanged day returns the same report",
       .roles = api::kAdmins,
       .body = {{.name = "day", .max_length = 10, .description = "YYYY-MM-DD"}},
       .handler = [this](Call& call) {
         auto day = ParseDay(Text(call, "day"));
         if (!day.ok()) return ErrorResponse(day.status());
         return Respond(clearing_->RunClearing(*day), 200,
                        [](const ClearingReport& r) { return json::parse(ClearingJson(r)); });
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/transit/refunds",
       .name = "refund_transit_trip",
       .summary = "Give back part or all of a trip's fare (a faulty gate, an upheld complaint); "
                  "idempotent by reference; the trip's operator bears it in the clearing",
       .roles = api::kAdmins,
       .body = {{.name = "trip_id", .max_length = kMaxTripIdBytes},
                {.name = "amount", .type = FieldType::kInteger, .description = "fen, > 0"},
                {.name = "reference",
                 .max_length = kMaxPaymentReferenceBytes,
                 .description = "the caller's idempotency key"},
                {.name = "reason", .max_length = kMaxRefusedReasonBytes}},
       .handler = [this](Call& call) {
         const std::string trip_id = Text(call, "trip_id");
         const std::int64_t amount = call.body["amount"].get<std::int64_t>();
         const std::string reference = Text(call, "reference");
         auto booked = ledger_->RefundTrip(trip_id, amount, reference, Text(call, "reason"));
         if (!booked.ok()) return ErrorResponse(booked.status());
         // 200 for a repeat of a refund booked before, as for payments.
         return Json(*booked ? 201 : 200, {{"trip_id", trip_id},
                                           {"amount", amount},
                                           {"reference", reference},
                                           {"booked", *booked}});
       }});
  AddOperatorRoutes(routes);
  return routes;
}

Result<nlohmann::json> TransitScene::Dashboard(Instant since) {
  const Date today = OperatingDayOf(clock_.Now(), fare_options_);
  const Date first = std::max(OperatingDayOf(since, fare_options_), today.AddDays(-6));
  json days = json::array();
  for (Date day = first; day <= today; day = day.AddDays(1)) {
    CITYCODE_ASSIGN_OR_RETURN(DayTrips trips, clearing_->Trips(day));
    days.push_back({{"operating_day", FormatIsoDate(day)},
                    {"trips", trips.trips},
                    {"charged_fen", trips.charged}});
  }
  CITYCODE_ASSIGN_OR_RETURN(std::optional<ClearingReport> last, clearing_->LastRun());
  return json{{"operating_days", days},
              {"last_clearing", last ? json::parse(ClearingJson(*last)) : json()}};
}

Result<nlohmann::json> TransitScene::ExportCitizen(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Tap> taps, rides_->RiderTaps(citizen_id));
  json out = json::array();
  for (const Tap& tap : taps) {
    out.push_back({{"at", FormatRfc3339(tap.at)},
                   {"route_id", tap.route_id},
                   {"stop_id", tap.stop_id},
                   {"kind", TapKindName(tap.kind)},
                   {"channel", code::ChannelName(tap.channel)}});
  }
  return json{{"taps", out}};
}

Result<std::vector<std::string>> TransitScene::EraseCitizen(std::string_view citizen_id) {
  (void)citizen_id;
  return std::vector<std::string>{
      "transit: taps, trips, charges and payments — the operators' accounting records "
      "(会计档案); they hold the account's id, no name or ID number"};
}

}  // namespace citycode::transit
