// Routes of the transit scene: gates and validators upload taps, riders see
// their trips and daily bill, an admin runs the daily clearing.
//
// Tap uploads. A tap's identity is (terminal, sequence), the terminal being
// the caller's, never the body's. The server re-checks every tap's code as
// of the tap's time (Platform::VerifyScanned: gates work offline and upload
// hours later), which names the rider, the channel and the rider category;
// the gate's own offline verdict is not trusted. Taps
// already stored (or repeated in the batch) are counted as duplicates BEFORE
// their codes are verified: verification records the code for replay
// detection, so a re-sent batch would otherwise come back as replays. A
// stored sequence number that comes back with another time is a conflict:
// counted, not stored. A tap
// whose code is refused is stored as a refused tap with the verifier's
// reason. Terminals get counts only, never whose taps they were.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "scenes/transit/clearing.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"
#include "server/internal/routes.h"

namespace citycode::server::internal {
namespace {

using nlohmann::json;
using platform::Role;

// Fewer than Rides' limit: one request must finish well inside the handler
// deadline, each tap costing an online verification.
constexpr std::size_t kMaxTapsPerRequest = 1000;
constexpr std::size_t kMaxCodeBytes = 4096;

Status NoFeed() { return Unavailable("no transit feed configured"); }

// "YYYY-MM-DD", an operating day.
Result<transit::Date> ParseDay(std::string_view text) {
  auto day = transit::ParseIsoDate(text);
  if (!day.ok()) return InvalidArgument("day must be YYYY-MM-DD");
  return day;
}

Result<transit::Date> QueryDay(const Call& call) {
  auto it = call.request.query.find("day");
  if (it == call.request.query.end()) return InvalidArgument("the query needs day=YYYY-MM-DD");
  return ParseDay(it->second);
}

// A tap as the terminal sent it, checked but not yet verified.
struct IncomingTap {
  transit::Tap tap;
  std::string code;
};

const std::string* StringField(const json& item, const char* name) {
  auto it = item.find(name);
  return it != item.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// Checks one tap object fully, so that a bad batch is refused before any
// code is verified (verifying writes).
Result<IncomingTap> ParseTap(const json& item, const transit::Feed& feed,
                             const std::string& terminal_id) {
  static const std::set<std::string, std::less<>> kKeys = {"sequence", "at",   "route_id",
                                                           "stop_id",  "kind", "code"};
  for (const auto& [key, value] : item.items()) {
    if (!kKeys.contains(key)) return InvalidArgument("unknown field \"" + key.substr(0, 64) + "\"");
  }
  IncomingTap out;
  out.tap.terminal_id = terminal_id;
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
  if (route == nullptr || !feed.routes.contains(*route))
    return InvalidArgument("route_id must name a route of the feed");
  out.tap.route_id = *route;
  const std::string* stop = StringField(item, "stop_id");
  if (stop == nullptr || !feed.stops.contains(*stop))
    return InvalidArgument("stop_id must name a stop of the feed");
  out.tap.stop_id = *stop;
  const std::string* kind = StringField(item, "kind");
  if (kind == nullptr) return InvalidArgument("kind must be board, entry or exit");
  CITYCODE_ASSIGN_OR_RETURN(out.tap.kind, transit::TapKindFromName(*kind));
  const std::string* code = StringField(item, "code");
  if (code == nullptr || code->empty() || code->size() > kMaxCodeBytes)
    return InvalidArgument("code must be the scanned text, 1-" + std::to_string(kMaxCodeBytes) +
                           " bytes");
  out.code = *code;
  return out;
}

// The sequences of `terminal_id` already stored in [low, high], with their
// taps' times. Reads the transit module's table directly: Rides dedups too,
// but only after the codes would have been verified.
Result<std::map<std::int64_t, std::int64_t>> StoredSequences(store::Database& db,
                                                             const std::string& terminal_id,
                                                             std::int64_t low, std::int64_t high) {
  CITYCODE_ASSIGN_OR_RETURN(auto tx, db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto rows,
                            tx->Query("SELECT sequence, at FROM transit_tap_ids WHERE "
                                      "terminal_id = ? AND sequence >= ? AND sequence <= ?",
                                      {terminal_id, low, high}));
  std::map<std::int64_t, std::int64_t> out;
  for (const auto& row : rows) out.emplace(row.Int(0), row.Int(1));
  return out;
}

json TripsJson(const transit::Feed& feed, const transit::Date& day,
               const std::vector<transit::StoredCharge>& charges) {
  json trips = json::array();
  std::int64_t total = 0;
  for (const auto& c : charges) {
    if (c.rules == transit::kVoidTripRules) continue;  // its taps now make another trip
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
  return {{"day", transit::FormatIsoDate(day)},
          {"trips", trips},
          {"total", total},
          {"currency_unit", "fen"}};
}

}  // namespace

std::vector<RouteSpec> TransitRoutes(platform::Platform& platform, store::Database& db,
                                     const transit::Feed* feed, transit::Rides* rides,
                                     transit::Clearing* clearing) {
  std::vector<RouteSpec> routes;
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/transit/taps",
       .name = "upload_taps",
       .summary = "Upload a gate's or validator's taps (a batch, or one online tap); idempotent "
                  "by the terminal's sequence numbers",
       .roles = kTerminals,
       .body = {{.name = "taps",
                 .type = FieldType::kObjectArray,
                 .max_items = kMaxTapsPerRequest,
                 .description = "taps: sequence, at (RFC 3339), route_id, stop_id, kind "
                                "(board, entry, exit), code (the scanned text)"}},
       .handler = [&platform, &db, feed, rides](Call& call) {
         if (rides == nullptr) return ErrorResponse(NoFeed());
         const platform::Principal& terminal = *call.principal;
         if (terminal.scene != code::Scene::kTransit) {
           return ErrorResponse(
               PermissionDenied("only a transit operator's terminals upload taps"));
         }
         std::vector<IncomingTap> incoming;
         const json& items = call.body["taps"];
         for (std::size_t i = 0; i < items.size(); ++i) {
           auto tap = ParseTap(items[i], *feed, terminal.terminal_id);
           if (!tap.ok()) {
             return ErrorResponse(
                 InvalidArgument("tap " + std::to_string(i) + ": " + tap.status().message()),
                 "bad_tap");
           }
           incoming.push_back(std::move(*tap));
         }
         if (incoming.empty()) {
           return Json(200, {{"stored", 0}, {"duplicates", 0}, {"refused", 0}, {"conflicts", 0}});
         }
         const auto [low, high] = std::minmax_element(
             incoming.begin(), incoming.end(),
             [](const auto& a, const auto& b) { return a.tap.sequence < b.tap.sequence; });
         auto known =
             StoredSequences(db, terminal.terminal_id, low->tap.sequence, high->tap.sequence);
         if (!known.ok()) return ErrorResponse(known.status());

         std::int64_t duplicates = 0, conflicts = 0;
         std::vector<transit::TapUpload> batch;
         Status verify_failed;
         for (IncomingTap& in : incoming) {
           // Stored, or earlier in this batch; at another time, the
           // terminal used the sequence number twice.
           const std::int64_t at = ToUnixSeconds(in.tap.at);
           const auto [seen, added] = known->emplace(in.tap.sequence, at);
           if (!added) {
             ++(seen->second == at ? duplicates : conflicts);
             continue;
           }
           auto verified = platform.VerifyScanned(terminal, in.code, in.tap.at);
           if (!verified.ok()) {
             // Store what was verified (those codes are now spent), then
             // report the error; the re-sent batch dedups those taps.
             verify_failed = verified.status();
             break;
           }
           transit::TapUpload upload{.tap = std::move(in.tap)};
           const code::VerificationResult& result = verified->result;
           upload.tap.channel = result.channel;
           if (result.valid) {
             upload.rider_id = verified->citizen_id;
             upload.tap.rider_category_id = transit::RiderCategoryId(*feed, result.rider_category);
           } else {
             upload.valid = false;
             upload.refused_reason = std::string(code::ReasonName(result.reason));
           }
           batch.push_back(std::move(upload));
         }
         transit::UploadResult uploaded;
         if (!batch.empty()) {
           auto stored = rides->UploadTaps(batch);
           if (!stored.ok()) return ErrorResponse(stored.status());
           uploaded = *stored;
         }
         if (!verify_failed.ok()) return ErrorResponse(verify_failed);
         return Json(200, {{"stored", uploaded.stored},
                           {"duplicates", uploaded.duplicates + duplicates},
                           {"refused", uploaded.refused},
                           {"conflicts", uploaded.conflicts + conflicts}});
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/trips",
                    .name = "my_trips",
                    .summary = "My trips of an operating day (?day=YYYY-MM-DD) with what each "
                               "costs and the rules that made the fare",
                    .roles = kCitizens,
                    .handler = [feed, rides](Call& call) {
                      if (rides == nullptr) return ErrorResponse(NoFeed());
                      auto day = QueryDay(call);
                      if (!day.ok()) return ErrorResponse(day.status());
                      return Respond(rides->RiderCharges(call.principal->citizen_id, *day), 200,
                                     [&](const std::vector<transit::StoredCharge>& charges) {
                                       return TripsJson(*feed, *day, charges);
                                     });
                    }});
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/me/bill",
       .name = "my_bill",
       .summary = "My transit bill of an operating day (?day=YYYY-MM-DD): trips, adjustments, "
                  "the day's total and what I owe",
       .roles = kCitizens,
       .handler = [clearing](Call& call) {
         if (clearing == nullptr) return ErrorResponse(NoFeed());
         auto day = QueryDay(call);
         if (!day.ok()) return ErrorResponse(day.status());
         return Respond(
             clearing->DailyBill(call.principal->citizen_id, *day), 200,
             [](const transit::Bill& bill) { return json::parse(transit::BillJson(bill)); });
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/transit/clearing",
       .name = "run_transit_clearing",
       .summary = "Clear an operating day: each operator's settlement; running it again for an "
                  "unchanged day returns the same report",
       .roles = kAdmins,
       .body = {{.name = "day", .max_length = 10, .description = "YYYY-MM-DD"}},
       .handler = [clearing](Call& call) {
         if (clearing == nullptr) return ErrorResponse(NoFeed());
         auto day = ParseDay(Text(call, "day"));
         if (!day.ok()) return ErrorResponse(day.status());
         return Respond(clearing->RunClearing(*day), 200, [](const transit::ClearingReport& r) {
           return json::parse(transit::ClearingJson(r));
         });
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/transit/refunds",
       .name = "refund_transit_trip",
       .summary = "Give back part or all of a trip's fare (a faulty gate, an upheld complaint); "
                  "idempotent by reference; the trip's operator bears it in the clearing",
       .roles = kAdmins,
       .body = {{.name = "trip_id", .max_length = transit::kMaxTripIdBytes},
                {.name = "amount", .type = FieldType::kInteger, .description = "fen, > 0"},
                {.name = "reference",
                 .max_length = transit::kMaxPaymentReferenceBytes,
                 .description = "the caller's idempotency key"},
                {.name = "reason", .max_length = transit::kMaxRefusedReasonBytes}},
       .handler = [rides](Call& call) {
         if (rides == nullptr) return ErrorResponse(NoFeed());
         const std::string trip_id = Text(call, "trip_id");
         const std::int64_t amount = call.body["amount"].get<std::int64_t>();
         const std::string reference = Text(call, "reference");
         auto booked = rides->RefundTrip(trip_id, amount, reference, Text(call, "reason"));
         if (!booked.ok()) return ErrorResponse(booked.status());
         // 200 for a repeat of a refund booked before, as for payments.
         return Json(*booked ? 201 : 200, {{"trip_id", trip_id},
                                           {"amount", amount},
                                           {"reference", reference},
                                           {"booked", *booked}});
       }});
  return routes;
}

}  // namespace citycode::server::internal
