// What only a test or demo server offers: the texts its in-memory inbox
// holds (there is no phone), and on the demo server (`citycode demo`) its
// identity provider and, when asked for, a clock the admin moves. A server
// with a real SMS gateway and identity provider has none of these routes.
#include <nlohmann/json.hpp>

#include "crypto/hash.h"
#include "server/internal/core_routes.h"
#include "sms/gateway.h"

namespace citycode::server::internal {
namespace {

using nlohmann::json;

// The texts for a phone and the last one-time code among them. On the demo
// server anyone may read them: the inbox is its only phone. Elsewhere (the
// tests) the admin plays the phone.
void AddInboxRoute(platform::Platform& p, std::vector<RouteSpec>& routes) {
  auto inbox = std::dynamic_pointer_cast<sms::Inbox>(p.options().sms);
  if (!inbox) return;
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/demo/texts",
                    .name = "demo_texts",
                    .summary = "The texts the demo's inbox holds for a phone, oldest first, and "
                               "the last one-time code among them",
                    .roles = p.options().demo ? std::vector<platform::Role>{} : kAdmins,
                    .body = {{.name = "phone", .max_length = 11}},
                    .handler = [inbox](Call& call) {
                      const std::string phone = Text(call, "phone");
                      const std::optional<std::string> code = inbox->LastCode(phone);
                      return Json(200, {{"texts", inbox->To(phone)},
                                        {"code", code ? json(*code) : json(nullptr)}});
                    }});
}

// The demo identity provider confirms the person an account claims to be,
// as the provincial platform would after its face check; the platform then
// checks its token as any other.
void AddIdentityProviderRoute(platform::Platform& p, const DemoOptions& demo, const Clock& clock,
                              std::vector<RouteSpec>& routes) {
  if (!demo.identity_provider || !p.options().identity_provider) return;
  routes.push_back(
      {.method = Method::kPost,
       .pattern = "/v1/demo/id-token",
       .name = "demo_id_token",
       .summary = "The demo identity provider's ID token for the calling citizen's claimed "
                  "person, for the nonce of an online identity check",
       .roles = kCitizens,
       .body = {{.name = "nonce", .max_length = 64}},
       .handler = [&p, &demo, &clock](Call& call) {
         auto claim = p.citizens().Own(call.principal->citizen_id);
         if (!claim.ok()) return ErrorResponse(claim.status());
         // The provider's stable subject for the person, which names nobody.
         const std::string subject =
             "demo-" + ToHex(crypto::Sha256(AsBytes(claim->id_number))).substr(0, 24);
         auto token =
             demo.identity_provider->IdToken({.audience = p.options().identity_provider->client_id,
                                              .nonce = Text(call, "nonce"),
                                              .subject = subject,
                                              .name = claim->name,
                                              .id_number = claim->id_number,
                                              .issued_at = clock.Now()});
         if (!token.ok()) return ErrorResponse(token.status());
         return Json(200, {{"id_token", *token}});
       }});
}

// Moves the demo server's clock forward, so a browser test sees the next
// code without waiting.
void AddClockRoute(const DemoOptions& demo, std::vector<RouteSpec>& routes) {
  if (!demo.clock) return;
  routes.push_back({.method = Method::kPost,
                    .pattern = "/v1/demo/clock",
                    .name = "demo_clock",
                    .summary = "Move the demo server's clock forward",
                    .roles = kAdmins,
                    .body = {{.name = "advance_seconds", .type = FieldType::kInteger}},
                    .handler = [clock = demo.clock](Call& call) {
                      const std::int64_t seconds = call.body["advance_seconds"].get<std::int64_t>();
                      if (seconds < 0 || seconds > 366LL * 24 * 3600) {
                        return ErrorResponse(
                            InvalidArgument("advance_seconds must be 0 to one year"));
                      }
                      clock->Advance(std::chrono::seconds(seconds));
                      return Json(200, {{"now", FormatRfc3339(clock->Now())}});
                    }});
}

}  // namespace

std::vector<RouteSpec> DemoRoutes(platform::Platform& p, const DemoOptions& demo,
                                  const Clock& clock) {
  std::vector<RouteSpec> routes;
  AddInboxRoute(p, routes);
  if (!p.options().demo) return routes;
  routes.push_back({.method = Method::kGet,
                    .pattern = "/v1/demo",
                    .name = "demo",
                    .summary = "What this demo server offers the pages",
                    .handler = [&p, &demo](Call&) {
                      return Json(200, {{"demo", true},
                                        {"inbox", p.options().sms != nullptr},
                                        {"identity_provider", demo.identity_provider != nullptr},
                                        {"clock", demo.clock != nullptr}});
                    }});
  AddIdentityProviderRoute(p, demo, clock, routes);
  AddClockRoute(demo, routes);
  return routes;
}

}  // namespace citycode::server::internal
