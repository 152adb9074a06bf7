// The authorization matrix: every route of the OpenAPI document (which the
// server generates from its route table) is called by every kind of caller,
// and the answer is held against kPolicy below — a table written apart from
// the route declarations, by route family and caller, so that a wrong
// declaration (a role too many, a scene's terminal reaching another scene's
// route, an organisation's admin reaching another's) fails here. A route the
// table does not cover fails too: a new route needs its line.
//
// A caller the policy refuses must get 401 (no token, a wrong token) or 403;
// one it allows must get neither (a 400 for the empty body, a 404 for a
// made-up id and a 200 are all "let through"). Bodies are "{}", ids in paths
// are made up except the organisation, which is the one the route family
// belongs to.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "platform/organisations.h"
#include "tests/support/path_template.h"
#include "tests/support/service_test.h"

namespace citycode::testing {
namespace {

using nlohmann::json;

enum class Caller {
  kNobody,
  kBadToken,
  kAdmin,
  kOwnOrgAdmin,    // of the organisation in the path (or of any, where none is)
  kOtherOrgAdmin,  // of another organisation
  kTransitGate,
  kHallTerminal,
  kHospitalTerminal,
  kHotelDesk,
  kAccessGate,
  kChannel,
  kCitizen,
};

constexpr Caller kAllCallers[] = {
    Caller::kNobody,        Caller::kBadToken,    Caller::kAdmin,        Caller::kOwnOrgAdmin,
    Caller::kOtherOrgAdmin, Caller::kTransitGate, Caller::kHallTerminal, Caller::kHospitalTerminal,
    Caller::kHotelDesk,     Caller::kAccessGate,  Caller::kChannel,      Caller::kCitizen,
};

std::string_view CallerName(Caller caller) {
  switch (caller) {
    case Caller::kNobody: return "nobody";
    case Caller::kBadToken: return "bad token";
    case Caller::kAdmin: return "admin";
    case Caller::kOwnOrgAdmin: return "the organisation's admin";
    case Caller::kOtherOrgAdmin: return "another organisation's admin";
    case Caller::kTransitGate: return "a transit gate";
    case Caller::kHallTerminal: return "a service hall terminal";
    case Caller::kHospitalTerminal: return "a hospital terminal";
    case Caller::kHotelDesk: return "a hotel desk";
    case Caller::kAccessGate: return "an access gate";
    case Caller::kChannel: return "an issuing channel";
    case Caller::kCitizen: return "a citizen";
  }
  return "?";
}

using Callers = std::set<Caller>;
const Callers kEveryone(std::begin(kAllCallers), std::end(kAllCallers));
const Callers kAdmin = {Caller::kAdmin};
const Callers kOrgAdmins = {Caller::kAdmin, Caller::kOwnOrgAdmin};
const Callers kAnyOrgAdmin = {Caller::kOwnOrgAdmin, Caller::kOtherOrgAdmin};
const Callers kCitizen = {Caller::kCitizen};
const Callers kTerminals = {Caller::kTransitGate, Caller::kHallTerminal, Caller::kHospitalTerminal,
                            Caller::kHotelDesk, Caller::kAccessGate};

Callers Plus(Callers a, const Callers& b) {
  a.insert(b.begin(), b.end());
  return a;
}

// One line: the method ("*": any) and the path, exact or a prefix ending in
// '*'. The first line that matches decides.
struct Policy {
  std::string_view method;
  std::string_view path;
  Callers allowed;
};

const std::vector<Policy>& PolicyTable() {
  static const std::vector<Policy> table = {
      // Anyone: the signed lists, the registry, registration and sign-in.
      {"GET", "/v1/lists/*", kEveryone},
      {"GET", "/v1/vault/certificate-types", kEveryone},
      {"GET", "/v1/vault/public-key", kEveryone},
      {"POST", "/v1/citizens", kEveryone},
      {"POST", "/v1/citizens/confirm", kEveryone},
      {"POST", "/v1/password-resets*", kEveryone},
      {"POST", "/v1/sessions", kEveryone},
      {"GET", "/v1/demo", kEveryone},
      // The citizen's own.
      {"*", "/v1/me", kCitizen},
      {"*", "/v1/me/*", kCitizen},
      {"DELETE", "/v1/sessions/current", kCitizen},
      {"POST", "/v1/demo/id-token", kCitizen},
      {"GET", "/v1/vault/requesters", kCitizen},
      {"GET", "/v1/access/sites", kCitizen},
      {"GET", "/v1/access/sites/{site}/slots", kCitizen},
      {"GET", "/v1/medical/hospitals", Plus(kCitizen, {Caller::kHospitalTerminal})},
      {"GET", "/v1/medical/slots", Plus(kCitizen, {Caller::kHospitalTerminal})},
      // The operator's.
      {"*", "/v1/orgs", kAdmin},
      {"POST", "/v1/orgs/{org}/admin-keys", kAdmin},
      {"POST", "/v1/orgs/{org}/vault/*", kAdmin},
      {"POST", "/v1/orgs/{org}/transit/agencies", kAdmin},
      {"*", "/v1/credentials/*", kAdmin},
      {"*", "/v1/channels/*", kAdmin},
      {"*", "/v1/signing-keys", kAdmin},
      {"*", "/v1/audit/*", kAdmin},
      {"*", "/v1/ops/*", kAdmin},
      {"POST", "/v1/transit/clearing", kAdmin},
      {"POST", "/v1/transit/refunds", kAdmin},
      {"POST", "/v1/demo/clock", kAdmin},
      {"POST", "/v1/demo/texts", kAdmin},  // anyone's in the demo city only
      // Hospital systems, with a hospital terminal's key; what the server
      // can do, for anyone.
      {"GET", "/fhir/r4/metadata", kEveryone},
      {"*", "/fhir/r4/*", {Caller::kHospitalTerminal}},
      // An organisation's, and the operator's.
      {"GET", "/v1/org", kAnyOrgAdmin},
      {"*", "/v1/orgs/{org}*", kOrgAdmins},
      {"POST", "/v1/vault/certificates", kAnyOrgAdmin},  // an agency's; others learn 403 below
      {"POST", "/v1/vault/fetch", Plus(kAnyOrgAdmin, kTerminals)},
      // Terminals: any scene's, then each scene's own.
      {"POST", "/v1/verify", kTerminals},
      {"*", "/v1/terminal*", kTerminals},
      {"*", "/v1/transit/*", {Caller::kTransitGate}},
      {"GET", "/v1/gov/cases/{case}", Plus(kAnyOrgAdmin, {Caller::kHallTerminal})},
      {"*", "/v1/gov/*", {Caller::kHallTerminal}},
      {"*", "/v1/medical/*", {Caller::kHospitalTerminal}},
      {"*", "/v1/hotel/*", {Caller::kHotelDesk}},
      {"*", "/v1/access/*", {Caller::kAccessGate}},
  };
  return table;
}

const Policy* PolicyFor(std::string_view method, std::string_view path) {
  for (const Policy& line : PolicyTable()) {
    if (line.method != "*" && line.method != method) continue;
    const bool prefix = line.path.ends_with('*');
    const std::string_view stem = prefix ? line.path.substr(0, line.path.size() - 1) : line.path;
    if (prefix ? path.starts_with(stem) : path == stem) return &line;
  }
  return nullptr;
}

class AuthorizationMatrixTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Configure("authorization-matrix");
    config_.scenes["transit"]["feed_dir"] = std::string(CITYCODE_TRANSIT_DEMO_FEED);
    config_.api.bad_tokens_per_address = 0;  // the wrong tokens here are the test's own
    ASSERT_NO_FATAL_FAILURE(StartService(clock_));
    platform::Platform& platform = service_->platform();
    using platform::OrgKind;
    for (const auto& [family, kind] :
         std::vector<std::pair<std::string, OrgKind>>{{"gov", OrgKind::kServiceHall},
                                                      {"transit", OrgKind::kTransitOperator},
                                                      {"medical", OrgKind::kHospital},
                                                      {"hotel", OrgKind::kHotel},
                                                      {"access", OrgKind::kAccessSite},
                                                      {"vault", OrgKind::kIssuingAgency}}) {
      auto org = platform.organisations().Create("机构 " + family, kind);
      ASSERT_TRUE(org.ok()) << org.status().ToString();
      orgs_[family] = org->id;
      org_admins_[family] = platform.access_keys().CreateOrgAdminKey(org->id, "admin")->token;
      if (kind == OrgKind::kIssuingAgency) continue;
      auto site = platform.organisations().CreateSite(org->id, "site");
      ASSERT_TRUE(site.ok()) << site.status().ToString();
      auto terminal = platform.access_keys().CreateTerminal(org->id, site->id, "terminal");
      ASSERT_TRUE(terminal.ok()) << terminal.status().ToString();
      terminals_[family] = terminal->second.token;
      sites_[family] = site->id;
    }
    RegisterCitizen("授权测试", "370282199003154516", "13800000001", "correct horse");
    const json session = SendJson(
        "POST", "/v1/sessions", {{"phone", "13800000001"}, {"password", "correct horse"}}, {}, 201);
    ASSERT_NO_FATAL_FAILURE(
        VerifyIdentity(session.value("token", ""), "授权测试", "370282199003154516"));
  }

  // The organisation a path's family belongs to ("" for a path without one).
  std::string FamilyOf(std::string_view path) const {
    constexpr std::string_view kOrgs = "/v1/orgs/{org}/";
    if (!path.starts_with(kOrgs)) return path.starts_with("/v1/orgs/{org}") ? "gov" : "";
    const std::string_view rest = path.substr(kOrgs.size());
    const std::string family(rest.substr(0, rest.find('/')));
    return orgs_.contains(family) ? family : "gov";
  }

  std::string Token(Caller caller, const std::string& family) {
    const std::string own = family.empty() ? "gov" : family;
    switch (caller) {
      case Caller::kNobody: return "";
      case Caller::kBadToken: return "cc_wrong_token_for_the_matrix";
      case Caller::kAdmin: return admin_;
      case Caller::kOwnOrgAdmin: return org_admins_[own];
      case Caller::kOtherOrgAdmin: return org_admins_[own == "vault" ? "gov" : "vault"];
      case Caller::kTransitGate: return terminals_["transit"];
      case Caller::kHallTerminal: return terminals_["gov"];
      case Caller::kHospitalTerminal: return terminals_["medical"];
      case Caller::kHotelDesk: return terminals_["hotel"];
      case Caller::kAccessGate: return terminals_["access"];
      case Caller::kChannel: return channel_;
      case Caller::kCitizen: {
        // A fresh session each time: a route may end the one it is called with.
        const json session =
            SendJson("POST", "/v1/sessions",
                     {{"phone", "13800000001"}, {"password", "correct horse"}}, {}, 201);
        return session.value("token", "");
      }
    }
    return "";
  }

  // `path` with {org} the family's organisation, {site} a terminal caller's
  // own, and every other parameter made up.
  std::string Target(std::string_view path, const std::string& family, Caller caller) {
    static const std::map<Caller, std::string> kTerminalFamily = {
        {Caller::kTransitGate, "transit"},
        {Caller::kHallTerminal, "gov"},
        {Caller::kHospitalTerminal, "medical"},
        {Caller::kHotelDesk, "hotel"},
        {Caller::kAccessGate, "access"}};
    const auto terminal = kTerminalFamily.find(caller);
    return FillPath(path, [&](std::string_view name) -> std::string {
      if (name == "org") return orgs_[family];
      if (name == "site" && terminal != kTerminalFamily.end()) return sites_[terminal->second];
      return "made-up-" + std::string(name);
    });
  }

  ManualClock clock_{FromUnixSeconds(1'786'000'000)};
  std::map<std::string, std::string> orgs_, org_admins_, terminals_, sites_;
};

// The codes of a refusal for who the caller is (its role, its terminal's
// scene, its organisation); other 403s are about the thing asked for (a
// terminal that is not a window, a gate of another site) and count as let
// through.
const std::set<std::string> kWhoCodes = {"permission_denied", "scene_not_permitted"};

// The machine code of a refusal: {"error":{"code"}} or, from the FHIR
// routes, an OperationOutcome's first issue's reason.
std::string RefusalCode(const api_client::HttpReply& reply) {
  const json doc = json::parse(reply.body, nullptr, false);
  if (!doc.is_object()) return "";
  if (doc.contains("error")) return doc["error"].value("code", "");
  const json reason = doc.value("/issue/0/details/coding/0/code"_json_pointer, json());
  return reason.is_string() ? reason.get<std::string>() : "";
}

TEST_P(AuthorizationMatrixTest, EveryRouteAnswersEveryCallerAsThePolicySays) {
  const json openapi = SendJson("GET", "/v1/openapi.json", nullptr, {}, 200);
  ASSERT_TRUE(openapi.contains("paths"));
  int routes = 0;
  for (const auto& [path, operations] : openapi["paths"].items()) {
    for (const auto& [lower_method, operation] : operations.items()) {
      std::string method = lower_method;
      std::transform(method.begin(), method.end(), method.begin(), ::toupper);
      const Policy* policy = PolicyFor(method, path);
      if (policy == nullptr) {
        ADD_FAILURE() << method << " " << path << " has no line in the policy table";
        continue;
      }
      ++routes;
      const std::string family = FamilyOf(path);
      const std::string body = method == "GET" || method == "DELETE" ? "" : "{}";
      for (Caller caller : kAllCallers) {
        const api_client::HttpReply reply =
            Send(method, Target(path, family, caller), body, Token(caller, family));
        const bool allowed = policy->allowed.contains(caller);
        const std::string what = method + " " + std::string(path) + " by " +
                                 std::string(CallerName(caller)) + ": " +
                                 std::to_string(reply.status) + " " + reply.body;
        const bool refused_for_who =
            reply.status == 401 || (reply.status == 403 && kWhoCodes.contains(RefusalCode(reply)));
        if (allowed) {
          EXPECT_FALSE(refused_for_who) << what;
        } else if (caller == Caller::kNobody || caller == Caller::kBadToken) {
          EXPECT_EQ(reply.status, 401) << what;
        } else {
          EXPECT_TRUE(refused_for_who && reply.status == 403) << what;
        }
      }
    }
  }
  EXPECT_GT(routes, 150) << "the document lists every route";
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthorizationMatrixTest, ::testing::ValuesIn(DatabaseBackends()),
                         BackendTestName);

}  // namespace
}  // namespace citycode::testing
