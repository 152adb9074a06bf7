// The citizens' side of the authorization matrix (issue 22, item 4; the
// roles' side is authorization_matrix_test.cc): every /v1/me route of the
// OpenAPI document is called by
//   - the owner: identity verified online, with a phone, an appointment, a
//     child as dependant (so also the guardian) and a home in a residential
//     community, whose real ids fill the path;
//   - another citizen, verified in person, with the owner's ids in the path,
//     a visitor where the owner is a resident;
//   - a citizen whose identity is not verified.
// Held against tables written apart from the routes: another citizen never
// reaches the owner's things (404, or 403 for who they are), never sees the
// owner's ids in an answer, nor a resident's routes (kResidentsOnly); a
// citizen without a verified identity is refused identity_not_verified
// exactly on the routes of kNeedsVerifiedIdentity; the owner is let through
// everywhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/medical_service_test.h"
#include "tests/support/path_template.h"

namespace citycode::testing {
namespace {

using nlohmann::json;

constexpr std::string_view kChildName = "测试儿童己";
constexpr std::string_view kChildIdNumber = "370282201903150027";

// The routes that give or use what only a real-name account may have:
// certificates, health records, dependants, bookings in a person's name,
// transit cards. Method and path as in the OpenAPI document; a path ending
// in '*' is a prefix.
const std::vector<std::pair<std::string_view, std::string_view>> kNeedsVerifiedIdentity = {
    {"GET", "/v1/me/certificates"},    {"POST", "/v1/me/dependants"},
    {"*", "/v1/me/dependants/*"},      {"POST", "/v1/me/medical/appointments"},
    {"GET", "/v1/me/medical/records"}, {"POST", "/v1/me/access/bookings"},
    {"POST", "/v1/me/cards"},
};

bool NeedsVerifiedIdentity(std::string_view method, std::string_view path) {
  return std::any_of(
      kNeedsVerifiedIdentity.begin(), kNeedsVerifiedIdentity.end(), [&](const auto& line) {
        const auto& [m, p] = line;
        if (m != "*" && m != method) return false;
        return p.ends_with('*') ? path.starts_with(p.substr(0, p.size() - 1)) : path == p;
      });
}

// The routes of a residential community's residents: a visitor (not on its
// list of members) is refused not_a_resident.
const std::set<std::pair<std::string_view, std::string_view>> kResidentsOnly = {
    {"POST", "/v1/me/access/passes"},
};

class CitizenMatrixTest : public MedicalServiceTest {
 protected:
  void SetUp() override {
    MedicalServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const json devices = SendJson("GET", "/v1/me/devices", nullptr, session_, 200);
    owner_ids_["device"] = devices["devices"][0].value("id", "");
    const json me = SendJson("GET", "/v1/me", nullptr, session_, 200);
    owner_id_ = me.value("citizen_id", "");
    const json slots = Schedule(kTomorrow, "09:00", "10:00", 2);
    ASSERT_FALSE(slots.empty());
    owner_ids_["appointment"] = Book(slots[0].value("id", ""), session_, 201);
    const json child = AddDependant(kChildName, kChildIdNumber);
    owner_ids_["dependant"] = child.value("dependant_id", "");
    ASSERT_FALSE(owner_id_.empty()) << me;
    for (const auto& [name, id] : owner_ids_) ASSERT_FALSE(id.empty()) << name;
    second_slot_ = slots[1].value("id", "");
    ASSERT_NO_FATAL_FAILURE(SetUpCommunity());
    other_ = CitizenSession(1);
    unverified_ = CitizenSession(2, /*verified=*/false);
  }

  // A residential community whose residents include the owner.
  void SetUpCommunity() {
    const json org =
        SendJson("POST", "/v1/orgs", {{"name", "墨河社区"}, {"kind", "access_site"}}, admin_, 201);
    const std::string site_path = "/v1/orgs/" + org.value("id", "") + "/access/sites/";
    community_ = SendJson("POST", "/v1/orgs/" + org.value("id", "") + "/sites", {{"name", "北门"}},
                          admin_, 201)
                     .value("id", "");
    SendJson("POST", site_path + community_,
             {{"policy", "residents"}, {"opens", "07:00"}, {"closes", "22:00"}}, admin_, 200);
    SendJson("POST", site_path + community_ + "/members",
             {{"name", kCitizenName}, {"id_number", kIdNumber}, {"household", "3-2-501"}}, admin_,
             201);
  }

  // `path` with the owner's ids where it has them, others made up; and
  // whether any was the owner's.
  std::pair<std::string, bool> Target(std::string_view path) {
    bool owners = false;
    std::string target = FillPath(path, [&](std::string_view name) {
      const auto own = owner_ids_.find(std::string(name));
      owners |= own != owner_ids_.end();
      return own != owner_ids_.end() ? own->second : "made-up-" + std::string(name);
    });
    return {std::move(target), owners};
  }

  // A body the route takes where its owner check comes after the body's:
  // so that check is reached. "{}" elsewhere (none for GET and DELETE).
  std::string Body(std::string_view method, std::string_view path) const {
    if (method == "GET" || method == "DELETE") return "";
    if (path.ends_with("/devices")) {
      return json{{"public_key", child_key_.public_key().ToPem()}}.dump();
    }
    if (path.ends_with("/medical/appointments")) return json{{"slot_id", second_slot_}}.dump();
    if (path == "/v1/me/access/passes") {
      return json{{"site_id", community_},
                  {"valid_from", FormatRfc3339(clock_.Now())},
                  {"valid_until", FormatRfc3339(clock_.Now() + std::chrono::hours(2))},
                  {"entries", 1}}
          .dump();
    }
    return "{}";
  }

  const crypto::PrivateKey child_key_ = *crypto::PrivateKey::Generate(crypto::Algorithm::kEd25519);
  std::string owner_id_, other_, unverified_, second_slot_, community_;
  std::map<std::string, std::string> owner_ids_;  // path parameter → the owner's
};

TEST_P(CitizenMatrixTest, EveryCitizenRouteKeepsToItsOwnerAndToVerifiedIdentities) {
  const json openapi = SendJson("GET", "/v1/openapi.json", nullptr, {}, 200);
  int routes = 0;
  for (const auto& [path, operations] : openapi["paths"].items()) {
    if (path != "/v1/me" && !path.starts_with("/v1/me/")) continue;
    for (const auto& [lower_method, operation] : operations.items()) {
      std::string method = lower_method;
      std::transform(method.begin(), method.end(), method.begin(), ::toupper);
      ++routes;
      const auto [target, owners] = Target(path);
      const std::string body = Body(method, path);
      const std::string route = method + " " + path + ": ";

      // Another citizen: the owner's things are not there for them.
      const api_client::HttpReply other = Send(method, target, body, other_);
      if (owners) {
        EXPECT_TRUE(other.status == 404 || other.status == 403)
            << route << "another citizen got " << other.status << " " << other.body;
      }
      for (const std::string& id :
           {owner_id_, owner_ids_["device"], owner_ids_["appointment"], owner_ids_["dependant"]}) {
        EXPECT_EQ(other.body.find(id), std::string::npos) << route << "the owner's " << id;
      }

      // A citizen without a verified identity: refused on the routes of the
      // table (a body the route cannot take may be refused first), on no
      // other.
      const api_client::HttpReply unverified = Send(method, target, body, unverified_);
      const std::string code = ErrorCode(unverified);
      if (!NeedsVerifiedIdentity(method, path)) {
        EXPECT_NE(code, "identity_not_verified") << route << unverified.body;
      } else if (body.empty() || unverified.status != 400) {
        EXPECT_TRUE(code == "identity_not_verified" || (owners && unverified.status == 404))
            << route << "an unverified citizen got " << unverified.status << " " << unverified.body;
      }

      // The owner, last (the call may change what the others would see).
      const api_client::HttpReply owner = Send(method, target, body, session_);
      EXPECT_NE(owner.status, 401) << route << owner.body;
      EXPECT_NE(owner.status, 403) << route << owner.body;
      if (owners) {
        EXPECT_NE(owner.status, 404) << route << owner.body;
      }
    }
  }
  EXPECT_GT(routes, 40) << "the document lists the citizen's routes";
}

INSTANTIATE_TEST_SUITE_P(Backends, CitizenMatrixTest, ::testing::ValuesIn(DatabaseBackends()),
                         BackendTestName);

}  // namespace
}  // namespace citycode::testing
