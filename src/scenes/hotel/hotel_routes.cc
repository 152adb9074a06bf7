// Routes of the hotel scene: the hotel's licence and rooms (its
// administrators or the platform's), and at the front desk check-in by the
// guests' codes (or by hand, with the clerk signed in), room change,
// check-out, cancellation, and the state of every report. The desk sees a
// guest's name, never their document number or anything else sent to the
// police.
#include <nlohmann/json.hpp>

#include "api/route.h"
#include "scenes/hotel/hotel.h"

namespace citycode::hotel {
namespace {

using api::Call;
using api::FieldType;
using api::Method;
using api::Param;
using api::Respond;
using api::RouteSpec;
using api::Text;
using nlohmann::json;

json RoomJson(const Room& r) {
  return {{"id", r.id},
          {"org_id", r.org_id},
          {"number", r.number},
          {"created_at", FormatRfc3339(r.created_at)}};
}

json ReportJson(const Report& r) {
  json out = {{"event_id", r.event_id},
              {"destination", r.destination},
              {"type", r.type},
              {"sequence", r.sequence},
              {"state", r.state},
              {"attempts", r.attempts},
              {"occurred_at", FormatRfc3339(r.occurred_at)},
              {"overdue", r.overdue}};
  if (!r.last_error.empty()) out["last_error"] = r.last_error;
  return out;
}

json StayJson(const Stay& s) {
  json guests = json::array();
  for (const Guest& g : s.guests) {
    json guest = {
        {"id", g.id}, {"name", g.name}, {"source", GuestSourceName(g.source)}, {"minor", g.minor}};
    if (!g.entered_by.empty()) guest["entered_by"] = g.entered_by;
    guests.push_back(std::move(guest));
  }
  json reports = json::array();
  for (const Report& r : s.reports) reports.push_back(ReportJson(r));
  json out = {{"id", s.id},
              {"room_id", s.room_id},
              {"room", s.room_number},
              {"state", StayStateName(s.state)},
              {"guests", guests},
              {"checked_in_at", FormatRfc3339(s.checked_in_at)},
              {"reports", reports},
              {"reports_overdue", std::count_if(s.reports.begin(), s.reports.end(),
                                                [](const Report& r) { return r.overdue; })}};
  if (s.ended_at) out["ended_at"] = FormatRfc3339(*s.ended_at);
  return out;
}

json FeedsJson(const std::vector<Feed>& feeds) {
  json out = json::array();
  for (const Feed& f : feeds) {
    json feed = {{"destination", f.destination},
                 {"configured", f.configured},
                 {"pending", f.pending},
                 {"dead", f.dead},
                 {"disabled", f.disabled_at.has_value()}};
    if (f.disabled_at) feed["disabled_at"] = FormatRfc3339(*f.disabled_at);
    out.push_back(std::move(feed));
  }
  return json{{"feeds", out}};
}

// The desk's rooms: whether each is occupied, and by which stay.
json DeskRoomsJson(const std::vector<DeskRoom>& rooms) {
  json out = json::array();
  for (const DeskRoom& r : rooms) {
    json room = {{"id", r.room.id}, {"number", r.room.number}, {"occupied", !r.stay_id.empty()}};
    if (!r.stay_id.empty()) room["stay_id"] = r.stay_id;
    out.push_back(std::move(room));
  }
  return json{{"rooms", out}};
}

// A guest entered by hand: every field a string.
Result<HandEntry> HandEntryOf(const json& entry) {
  static constexpr std::string_view kKeys[] = {"name",    "document_type", "document_number",
                                               "sex",     "ethnicity",     "birth_date",
                                               "address", "nationality"};
  for (const auto& item : entry.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), item.key()) == std::end(kKeys) ||
        !item.value().is_string()) {
      return InvalidArgument(
          "a guest entered by hand has only text fields: name, document_type, "
          "document_number, sex, ethnicity, birth_date, address, nationality",
          "bad_guest");
    }
  }
  return HandEntry{.record = {.name = api::TextAt(entry, "name"),
                              .document_type = api::TextAt(entry, "document_type"),
                              .document_number = api::TextAt(entry, "document_number"),
                              .sex = api::TextAt(entry, "sex"),
                              .ethnicity = api::TextAt(entry, "ethnicity"),
                              .birth_date = api::TextAt(entry, "birth_date"),
                              .address = api::TextAt(entry, "address"),
                              .nationality = api::TextAt(entry, "nationality")}};
}

Result<CheckInRequest> CheckInOf(const Call& call) {
  CheckInRequest request{.room_id = Text(call, "room_id"), .codes = api::Strings(call, "codes")};
  if (call.body.contains("by_hand")) {
    for (const json& entry : call.body["by_hand"]) {
      CITYCODE_ASSIGN_OR_RETURN(HandEntry hand, HandEntryOf(entry));
      request.by_hand.push_back(std::move(hand));
    }
  }
  return request;
}

void AddSetupRoutes(HotelScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/hotel/licence",
       .name = "hotel_set_licence",
       .summary = "Register the hotel's licence number (特种行业许可证), named in its reports",
       .roles = api::kOrgAdmins,
       .body = {{.name = "licence_number", .max_length = 32}},
       .handler = [&scene](Call& call) {
         return api::Done(scene.SetLicence(Param(call, "org"), Text(call, "licence_number")),
                          {{"licence_number", Text(call, "licence_number")}});
       }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/hotel/rooms",
                    .name = "hotel_add_room",
                    .summary = "Add a room",
                    .roles = api::kOrgAdmins,
                    .body = {{.name = "number", .max_length = 16}},
                    .success_status = 201,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.AddRoom(Param(call, "org"), Text(call, "number")), 201,
                                     RoomJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/hotel/rooms",
                    .name = "hotel_rooms",
                    .summary = "The hotel's rooms",
                    .roles = api::kOrgAdmins,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListRooms(Param(call, "org")), 200,
                                     [](const std::vector<Room>& rooms) {
                                       json out = json::array();
                                       for (const Room& r : rooms) out.push_back(RoomJson(r));
                                       return json{{"rooms", out}};
                                     });
                    }});
}

void AddDeskRoutes(HotelScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/hotel/rooms",
                    .name = "hotel_desk_rooms",
                    .summary = "The desk's hotel's rooms, each free or with the stay in house",
                    .roles = api::kTerminals,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.DeskRooms(*call.principal), 200, DeskRoomsJson);
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/hotel/stays",
       .name = "hotel_check_in",
       .summary = "Check a party in (免证入住): each guest by their code, or by hand with the "
                  "clerk signed in; the guest records are reported to the police",
       .roles = api::kTerminals,
       .body = {{.name = "room_id", .max_length = 64},
                {.name = "codes",
                 .type = FieldType::kStringArray,
                 .required = false,
                 .max_length = 4096,
                 .max_items = kMaxGuests,
                 .description = "the CC1: texts the guests (or a guardian for a child) show"},
                {.name = "by_hand",
                 .type = FieldType::kObjectArray,
                 .required = false,
                 .max_items = kMaxGuests,
                 .description = "guests without the code: name, document_type, "
                                "document_number, sex, birth_date, nationality, [address]"}},
       .success_status = 201,
       .handler = [&scene](Call& call) {
         auto request = CheckInOf(call);
         if (!request.ok()) return api::ErrorResponse(request.status());
         return Respond(scene.CheckIn(*call.principal, *request), 201, StayJson);
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/hotel/stays",
                    .name = "hotel_stays",
                    .summary = "The desk's hotel's stays of the last two days, with the state of "
                               "each report",
                    .roles = api::kTerminals,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListStays(*call.principal), 200,
                                     [](const std::vector<Stay>& stays) {
                                       json out = json::array();
                                       for (const Stay& s : stays) out.push_back(StayJson(s));
                                       return json{{"stays", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/hotel/stays/{stay}",
                    .name = "hotel_stay",
                    .summary = "A stay with the state of each report",
                    .roles = api::kTerminals,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.GetStay(*call.principal, Param(call, "stay")), 200,
                                     StayJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/hotel/stays/{stay}/room",
                    .name = "hotel_change_room",
                    .summary = "Move the stay to another room (reported)",
                    .roles = api::kTerminals,
                    .body = {{.name = "room_id", .max_length = 64}},
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ChangeRoom(*call.principal, Param(call, "stay"),
                                                      Text(call, "room_id")),
                                     200, StayJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/hotel/stays/{stay}/check-out",
                    .name = "hotel_check_out",
                    .summary = "Check the stay out (reported)",
                    .roles = api::kTerminals,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CheckOut(*call.principal, Param(call, "stay")), 200,
                                     StayJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/hotel/stays/{stay}/cancel",
                    .name = "hotel_cancel",
                    .summary = "Cancel a stay entered in error (reported)",
                    .roles = api::kTerminals,
                    .body = {{.name = "reason", .max_length = 200}},
                    .handler = [&scene](Call& call) {
                      return Respond(
                          scene.Cancel(*call.principal, Param(call, "stay"), Text(call, "reason")),
                          200, StayJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/hotel/feeds",
                    .name = "hotel_feeds",
                    .summary = "The report destinations: configured, disabled (a 410), backlog",
                    .roles = api::kTerminals,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.Feeds(*call.principal), 200, FeedsJson);
                    }});
}

}  // namespace

std::vector<RouteSpec> HotelScene::Routes() {
  std::vector<RouteSpec> routes;
  AddSetupRoutes(*this, routes);
  AddDeskRoutes(*this, routes);
  return routes;
}

}  // namespace citycode::hotel
