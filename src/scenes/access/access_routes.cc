// Routes of the access scene: the organisation's sites, members and slots;
// the gates' allow-list, passage upload and walk-in sale; the citizens'
// bookings and visitor passes.
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/route.h"
#include "scenes/access/access.h"

namespace citycode::access {
namespace {

using api::Call;
using api::FieldType;
using api::Method;
using api::Param;
using api::Respond;
using api::RouteSpec;
using api::Text;
using nlohmann::json;

json SiteJson(const Site& s) {
  return {{"id", s.id},
          {"org_id", s.org_id},
          {"name", s.name},
          {"policy", PolicyName(s.policy)},
          {"opens", s.opens},
          {"closes", s.closes},
          {"anti_passback", s.anti_passback},
          {"allow_cards", s.allow_cards}};
}

json SitesJson(const std::vector<Site>& sites) {
  json out = json::array();
  for (const Site& s : sites) out.push_back(SiteJson(s));
  return json{{"sites", out}};
}

json MemberJson(const Member& m) {
  json out = {{"id", m.id}, {"name", m.name}, {"added_at", FormatRfc3339(m.added_at)}};
  if (!m.household.empty()) out["household"] = m.household;
  return out;
}

json SlotJson(const Slot& s) {
  return {{"id", s.id},
          {"site_id", s.site_id},
          {"starts_at", FormatRfc3339(s.starts_at)},
          {"ends_at", FormatRfc3339(s.ends_at)},
          {"capacity", s.capacity},
          {"available", s.capacity - s.booked},
          {"walk_in_quota", s.walk_in_quota},
          {"walk_ins_available", s.walk_in_quota - s.walk_ins}};
}

json BookingJson(const Booking& b) {
  return {{"id", b.id},
          {"slot_id", b.slot_id},
          {"site_id", b.site_id},
          {"site", b.site_name},
          {"org_name", b.org_name},
          {"starts_at", FormatRfc3339(b.starts_at)},
          {"ends_at", FormatRfc3339(b.ends_at)},
          {"walk_in", b.walk_in},
          {"cancelled", b.cancelled}};
}

json PassJson(const Pass& p) {
  json uses = json::array();
  for (const PassUse& u : p.uses) uses.push_back({{"at", FormatRfc3339(u.at)}, {"gate", u.gate}});
  json out = {{"id", p.id},
              {"site_id", p.site_id},
              {"site", p.site_name},
              {"org_name", p.org_name},
              {"printed", p.printed},
              {"claimed", p.claimed},
              {"valid_from", FormatRfc3339(p.valid_from)},
              {"valid_until", FormatRfc3339(p.valid_until)},
              {"entries", p.entries},
              {"used", p.used},
              {"revoked", p.revoked},
              {"uses", uses}};
  if (!p.claim_token.empty()) out["claim_token"] = p.claim_token;
  if (!p.printed_text.empty()) out["printed_text"] = p.printed_text;
  return out;
}

json CitizenPassageJson(const CitizenPassage& p) {
  return {{"at", FormatRfc3339(p.at)},
          {"site", p.site_name},
          {"gate", p.gate},
          {"admitted", p.admitted}};
}

Result<Instant> TimeField(const Call& call, const char* name) {
  auto time = ParseRfc3339(Text(call, name));
  if (!time.ok()) return InvalidArgument(std::string(name) + " is not RFC 3339", "bad_time");
  return *time;
}

std::int64_t IntField(const Call& call, const char* name, std::int64_t fallback = 0) {
  auto it = call.body.find(name);
  return it != call.body.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

// A signed list with ETag / If-None-Match; a delta the gate holds already
// (or a full list it holds) is 304.
api::Response ListResponse(const Call& call, const Result<SignedAllowList>& list) {
  if (!list.ok()) return api::ErrorResponse(list.status());
  api::Response response;
  response.headers = {{"Cache-Control", "no-cache"}};
  if (!list->etag.empty()) response.headers.push_back({"ETag", list->etag});
  if ((list->delta && list->jws.empty()) ||
      (!list->etag.empty() && call.request.Header("if-none-match") == list->etag)) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  response.content_type = "application/jose+json";
  response.body = list->jws;
  return response;
}

Result<std::optional<std::uint64_t>> SinceOf(const Call& call) {
  auto it = call.request.query.find("since");
  if (it == call.request.query.end()) return std::optional<std::uint64_t>();
  std::uint64_t since = 0;
  const std::string& text = it->second;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), since);
  if (error != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument("since is a list version", "bad_since");
  }
  return std::optional<std::uint64_t>(since);
}

Result<std::vector<Passage>> PassagesOf(const Call& call) {
  std::vector<Passage> passages;
  for (const json& entry : call.body["passages"]) {
    auto sequence = entry.find("sequence");
    auto admitted = entry.find("admitted");
    auto at = ParseRfc3339(api::TextAt(entry, "at"));
    if (sequence == entry.end() || !sequence->is_number_integer() || admitted == entry.end() ||
        !admitted->is_boolean() || !at.ok()) {
      return InvalidArgument(
          "a passage is {sequence: integer, at: RFC 3339, code: text, admitted: boolean, "
          "reason: text}",
          "bad_passage");
    }
    passages.push_back({.sequence = sequence->get<std::int64_t>(),
                        .at = *at,
                        .code = api::TextAt(entry, "code"),
                        .admitted = admitted->get<bool>(),
                        .reason = api::TextAt(entry, "reason")});
  }
  return passages;
}

void AddSetupRoutes(AccessScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/access/sites/{site}",
       .name = "access_configure_site",
       .summary = "Give a site its access policy (once) and opening hours",
       .roles = api::kOrgAdmins,
       .body =
           {{.name = "policy", .max_length = 16, .description = "staff, reservations or residents"},
            {.name = "opens", .required = false, .max_length = 5, .description = "HH:MM local"},
            {.name = "closes", .required = false, .max_length = 5, .description = "HH:MM local"},
            {.name = "anti_passback",
             .type = FieldType::kBoolean,
             .required = false,
             .description = "report passages in the same direction twice; absent: unchanged"},
            {.name = "allow_cards",
             .type = FieldType::kBoolean,
             .required = false,
             .description = "members' printed cards pass too; absent: unchanged"}},
       .handler = [&scene](Call& call) {
         auto policy = PolicyFromName(Text(call, "policy"));
         if (!policy.ok()) return api::ErrorResponse(policy.status());
         SiteSetup setup{.policy = *policy};
         if (call.body.contains("anti_passback"))
           setup.anti_passback = call.body["anti_passback"].get<bool>();
         if (call.body.contains("allow_cards"))
           setup.allow_cards = call.body["allow_cards"].get<bool>();
         if (!Text(call, "opens").empty()) setup.opens = Text(call, "opens");
         if (!Text(call, "closes").empty()) setup.closes = Text(call, "closes");
         return Respond(scene.ConfigureSite(Param(call, "org"), Param(call, "site"), setup), 200,
                        SiteJson);
       }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/access/sites",
                    .name = "access_org_sites",
                    .summary = "The organisation's access sites",
                    .roles = api::kOrgAdmins,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListSites(Param(call, "org")), 200, SitesJson);
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/access/sites/{site}/members",
                    .name = "access_add_member",
                    .summary = "Add a staff member or resident by their verified identity",
                    .roles = api::kOrgAdmins,
                    .body = {{.name = "name", .max_length = 128},
                             {.name = "id_number", .max_length = 18},
                             {.name = "household",
                              .required = false,
                              .max_length = 64,
                              .description = "a resident's unit"}},
                    .success_status = 201,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.AddMember(Param(call, "org"), Param(call, "site"),
                                                     {.name = Text(call, "name"),
                                                      .id_number = Text(call, "id_number"),
                                                      .household = Text(call, "household")}),
                                     201, MemberJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/orgs/{org}/access/sites/{site}/members",
                    .name = "access_members",
                    .summary = "The site's staff or residents",
                    .roles = api::kOrgAdmins,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListMembers(Param(call, "org"), Param(call, "site")),
                                     200, [](const std::vector<Member>& members) {
                                       json out = json::array();
                                       for (const Member& m : members) out.push_back(MemberJson(m));
                                       return json{{"members", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kDelete,
                    .pattern = "/v1/orgs/{org}/access/sites/{site}/members/{member}",
                    .name = "access_remove_member",
                    .summary = "Remove a member: their codes leave the site's next list",
                    .roles = api::kOrgAdmins,
                    .handler = [&scene](Call& call) {
                      return api::Done(scene.RemoveMember(Param(call, "org"), Param(call, "site"),
                                                          Param(call, "member")),
                                       {{"removed", true}});
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/orgs/{org}/access/sites/{site}/slots",
       .name = "access_add_slot",
       .summary = "Add a time slot to a reservation site",
       .roles = api::kOrgAdmins,
       .body = {{.name = "starts_at", .max_length = 40},
                {.name = "ends_at", .max_length = 40},
                {.name = "capacity", .type = FieldType::kInteger, .description = "booked ahead"},
                {.name = "walk_in_quota",
                 .type = FieldType::kInteger,
                 .required = false,
                 .description = "sold at the gate"}},
       .success_status = 201,
       .handler = [&scene](Call& call) {
         auto starts = TimeField(call, "starts_at");
         auto ends = TimeField(call, "ends_at");
         if (!starts.ok()) return api::ErrorResponse(starts.status());
         if (!ends.ok()) return api::ErrorResponse(ends.status());
         return Respond(scene.AddSlot(Param(call, "org"), Param(call, "site"),
                                      {.starts_at = *starts,
                                       .ends_at = *ends,
                                       .capacity = IntField(call, "capacity"),
                                       .walk_in_quota = IntField(call, "walk_in_quota")}),
                        201, SlotJson);
       }});
}

json PassbacksJson(const std::vector<Passback>& passbacks) {
  json out = json::array();
  for (const Passback& p : passbacks) {
    json item = {{"at", FormatRfc3339(p.at)},
                 {"gate", p.gate},
                 {"direction", DirectionName(p.direction)},
                 {"previous_at", FormatRfc3339(p.previous_at)},
                 {"previous_gate", p.previous_gate}};
    if (!p.member.empty()) item["member"] = p.member;
    out.push_back(std::move(item));
  }
  return json{{"passbacks", out}};
}

void AddPassbackRoutes(AccessScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/orgs/{org}/access/sites/{site}/gates/{terminal}",
                    .name = "access_set_gate_direction",
                    .summary = "Say which way a gate lets people through (anti-passback)",
                    .roles = api::kOrgAdmins,
                    .body = {{.name = "direction", .max_length = 3, .description = "in or out"}},
                    .handler = [&scene](Call& call) {
                      auto direction = DirectionFromName(Text(call, "direction"));
                      if (!direction.ok()) return api::ErrorResponse(direction.status());
                      return api::Done(
                          scene.SetGateDirection(Param(call, "org"), Param(call, "site"),
                                                 Param(call, "terminal"), *direction),
                          {{"direction", Text(call, "direction")}});
                    }});
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/orgs/{org}/access/sites/{site}/passbacks",
       .name = "access_passbacks",
       .summary = "Passages of ?day=YYYY-MM-DD in the same direction as the holder's previous "
                  "one, resolved from the gates' uploads",
       .roles = api::kOrgAdmins,
       .handler = [&scene](Call& call) {
         auto day = call.request.query.find("day");
         return Respond(scene.Passbacks(Param(call, "org"), Param(call, "site"),
                                        day == call.request.query.end() ? "" : day->second),
                        200, PassbacksJson);
       }});
}

void AddGateRoutes(AccessScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/access/sites/{site}/allow-list",
       .name = "access_allow_list",
       .summary = "The gate's site's allow-list (JWS signed by the root key), ETag/If-None-Match; "
                  "?since=V for the changes since version V",
       .roles = api::kTerminals,
       .handler = [&scene](Call& call) {
         auto since = SinceOf(call);
         if (!since.ok()) return api::ErrorResponse(since.status());
         return ListResponse(call, scene.AllowList(*call.principal, Param(call, "site"), *since));
       }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/access/passages",
       .name = "access_upload_passages",
       .summary = "Upload the passages a gate decided offline; each (gate, sequence) counts once",
       .roles = api::kTerminals,
       .body = {{.name = "passages",
                 .type = FieldType::kObjectArray,
                 .max_items = 1000,
                 .description = "{sequence, at, code, admitted, reason}"}},
       .max_body_bytes = 4 * 1024 * 1024,
       .handler = [&scene](Call& call) {
         auto passages = PassagesOf(call);
         if (!passages.ok()) return api::ErrorResponse(passages.status());
         return Respond(scene.UploadPassages(*call.principal, *passages), 200,
                        [](const PassageUpload& u) {
                          return json{{"accepted", u.accepted}, {"duplicates", u.duplicates}};
                        });
       }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/access/walk-ins",
                    .name = "access_sell_walk_in",
                    .summary = "Sell a place of the current slot's walk-in quota by the code",
                    .roles = api::kTerminals,
                    .body = {{.name = "code", .max_length = 4096}},
                    .success_status = 201,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.SellWalkIn(*call.principal, Text(call, "code")), 201,
                                     BookingJson);
                    }});
}

void AddCitizenRoutes(AccessScene& scene, std::vector<RouteSpec>& routes) {
  routes.push_back(
      {.method = Method::kGet,
       .pattern = "/v1/access/sites",
       .name = "access_reservation_sites",
       .summary = "The sites that take reservations",
       .roles = api::kCitizens,
       .handler = [&scene](Call&) { return Respond(scene.ReservationSites(), 200, SitesJson); }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/access/sites/{site}/slots",
                    .name = "access_slots",
                    .summary = "A reservation site's slots of ?day=YYYY-MM-DD (local)",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      auto day = call.request.query.find("day");
                      const std::string text = day == call.request.query.end() ? "" : day->second;
                      return Respond(scene.ListSlots(Param(call, "site"), text), 200,
                                     [](const std::vector<Slot>& slots) {
                                       json out = json::array();
                                       for (const Slot& s : slots) out.push_back(SlotJson(s));
                                       return json{{"slots", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/access/bookings",
                    .name = "access_book",
                    .summary = "Book a place in a slot",
                    .roles = api::kCitizens,
                    .body = {{.name = "slot_id", .max_length = 64}},
                    .success_status = 201,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.Book(call.principal->citizen_id, Text(call, "slot_id")),
                                     201, BookingJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/access/bookings",
                    .name = "access_my_bookings",
                    .summary = "My bookings",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListBookings(call.principal->citizen_id), 200,
                                     [](const std::vector<Booking>& bookings) {
                                       json out = json::array();
                                       for (const Booking& b : bookings)
                                         out.push_back(BookingJson(b));
                                       return json{{"bookings", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kDelete,
                    .pattern = "/v1/me/access/bookings/{booking}",
                    .name = "access_cancel_booking",
                    .summary = "Cancel a booking: the place is free at once",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(
                          scene.CancelBooking(call.principal->citizen_id, Param(call, "booking")),
                          200, BookingJson);
                    }});
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/me/access/passes",
       .name = "access_issue_pass",
       .summary = "Issue a visitor pass (a resident): to a citizen, who redeems its claim token, "
                  "or printed",
       .roles = api::kCitizens,
       .body = {{.name = "site_id", .max_length = 64},
                {.name = "valid_from", .max_length = 40},
                {.name = "valid_until", .max_length = 40},
                {.name = "entries", .type = FieldType::kInteger},
                {.name = "printed", .type = FieldType::kBoolean, .required = false}},
       .success_status = 201,
       .handler = [&scene](Call& call) {
         auto from = TimeField(call, "valid_from");
         auto until = TimeField(call, "valid_until");
         if (!from.ok()) return api::ErrorResponse(from.status());
         if (!until.ok()) return api::ErrorResponse(until.status());
         const bool printed = call.body.value("printed", false);
         return Respond(
             scene.IssuePass(call.principal->citizen_id, {.site_id = Text(call, "site_id"),
                                                          .valid_from = *from,
                                                          .valid_until = *until,
                                                          .entries = IntField(call, "entries"),
                                                          .printed = printed}),
             201, PassJson);
       }});
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/me/access/passes/claim",
                    .name = "access_claim_pass",
                    .summary = "Redeem a visitor pass's claim token: my codes open its site",
                    .roles = api::kCitizens,
                    .body = {{.name = "claim_token", .max_length = 128}},
                    .handler = [&scene](Call& call) {
                      return Respond(
                          scene.ClaimPass(call.principal->citizen_id, Text(call, "claim_token")),
                          200, PassJson);
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/access/passes",
                    .name = "access_my_passes",
                    .summary = "The visitor passes I issued, with who used them when",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListPasses(call.principal->citizen_id), 200,
                                     [](const std::vector<Pass>& passes) {
                                       json out = json::array();
                                       for (const Pass& p : passes) out.push_back(PassJson(p));
                                       return json{{"passes", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/access/memberships",
                    .name = "access_my_memberships",
                    .summary = "The sites where I am staff or a resident",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListMemberships(call.principal->citizen_id), 200,
                                     [](const std::vector<Membership>& memberships) {
                                       json out = json::array();
                                       for (const Membership& m : memberships) {
                                         json site = SiteJson(m.site);
                                         if (!m.household.empty()) site["household"] = m.household;
                                         out.push_back(std::move(site));
                                       }
                                       return json{{"memberships", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/access/passes/claimed",
                    .name = "access_my_claimed_passes",
                    .summary = "The visitor passes I redeemed",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.ListClaimedPasses(call.principal->citizen_id), 200,
                                     [](const std::vector<Pass>& passes) {
                                       json out = json::array();
                                       for (const Pass& p : passes) out.push_back(PassJson(p));
                                       return json{{"passes", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/me/access/passages",
                    .name = "access_my_passages",
                    .summary = "Where my codes were scanned at gates in the last 90 days",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return Respond(scene.CitizenPassages(call.principal->citizen_id), 200,
                                     [](const std::vector<CitizenPassage>& passages) {
                                       json out = json::array();
                                       for (const CitizenPassage& p : passages) {
                                         out.push_back(CitizenPassageJson(p));
                                       }
                                       return json{{"passages", out}};
                                     });
                    }});
  routes.push_back({.method = Method::kDelete,
                    .pattern = "/v1/me/access/passes/{pass}",
                    .name = "access_revoke_pass",
                    .summary = "Revoke a visitor pass",
                    .roles = api::kCitizens,
                    .handler = [&scene](Call& call) {
                      return api::Done(
                          scene.RevokePass(call.principal->citizen_id, Param(call, "pass")),
                          {{"revoked", true}});
                    }});
}

}  // namespace

Result<json> AccessScene::ExportCitizen(std::string_view citizen_id) {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Booking> bookings, ListBookings(citizen_id));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Pass> passes, ListPasses(citizen_id));
  CITYCODE_ASSIGN_OR_RETURN(std::vector<CitizenPassage> passages, CitizenPassages(citizen_id));
  json out = {{"bookings", json::array()}, {"passes", json::array()}, {"passages", json::array()}};
  for (const Booking& b : bookings) out["bookings"].push_back(BookingJson(b));
  for (const Pass& p : passes) out["passes"].push_back(PassJson(p));
  for (const CitizenPassage& p : passages) out["passages"].push_back(CitizenPassageJson(p));
  return out;
}

std::vector<RouteSpec> AccessScene::Routes() {
  std::vector<RouteSpec> routes;
  AddSetupRoutes(*this, routes);
  AddPassbackRoutes(*this, routes);
  AddGateRoutes(*this, routes);
  AddCitizenRoutes(*this, routes);
  return routes;
}

}  // namespace citycode::access
