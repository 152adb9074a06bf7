#include "fhir/fhir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/status_matchers.h"

namespace citycode::fhir {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::StatusIs;

TEST(FhirIdTest, OurIdsBecomeFhirIdsAndBack) {
  EXPECT_EQ(ToId("apt_3f9a"), "apt-3f9a");
  EXPECT_EQ(*FromId("apt-3f9a"), "apt_3f9a");
  EXPECT_EQ(Reference("Slot", "slot_1"), "Slot/slot-1");
  EXPECT_EQ(*FromReference("Slot/slot-1", "Slot"), "slot_1");
}

TEST(FhirIdTest, RefusesWhatIsNoFhirIdOrAnotherType) {
  EXPECT_THAT(FromId("apt_1"), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(FromId(std::string(65, 'a')),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(FromId(""), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  EXPECT_THAT(FromReference("Schedule/sch-1", "Slot"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_reference"));
  EXPECT_THAT(FromReference("http://elsewhere/Slot/slot-1", "Slot"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_reference"));
  EXPECT_THAT(FromReference("Slot/", "Slot"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_reference"));
}

TEST(FhirBodyTest, ReadsAResourceOfItsType) {
  auto resource =
      ParseResource(R"({"resourceType":"Appointment","status":"booked"})", "Appointment");
  ASSERT_TRUE(resource.ok()) << resource.status().message();
  EXPECT_EQ((*resource)["status"], "booked");
}

TEST(FhirBodyTest, RefusesMalformedOtherTypesDeepAndLargeBodies) {
  EXPECT_THAT(ParseResource("{\"resourceType\":", "Appointment"),
              StatusIs(StatusCode::kInvalidArgument, "malformed_json"));
  EXPECT_THAT(ParseResource("[1]", "Appointment"),
              StatusIs(StatusCode::kInvalidArgument, "malformed_json"));
  EXPECT_THAT(ParseResource(R"({"resourceType":"Patient"})", "Appointment"),
              StatusIs(StatusCode::kInvalidArgument, "wrong_type"));
  EXPECT_THAT(ParseResource(R"({"status":"booked"})", "Appointment"),
              StatusIs(StatusCode::kInvalidArgument, "wrong_type"));
  const std::string deep =
      R"({"resourceType":"Appointment","x":)" + std::string(40, '[') + std::string(40, ']') + "}";
  EXPECT_THAT(ParseResource(deep, "Appointment"),
              StatusIs(StatusCode::kInvalidArgument, "malformed_json"));
  const std::string large =
      R"({"resourceType":"Appointment","x":")" + std::string(kMaxResourceBytes, 'a') + "\"}";
  EXPECT_THAT(ParseResource(large, "Appointment"),
              StatusIs(StatusCode::kInvalidArgument, "body_too_large"));
}

TEST(FhirOutcomeTest, CarriesTheReasonWithTheRightStatus) {
  api::Response refused =
      OutcomeResponse(FailedPrecondition("dispensed at 10:00", "already_dispensed"));
  EXPECT_EQ(refused.status, 409);
  EXPECT_THAT(refused.content_type, HasSubstr("application/fhir+json"));
  const json outcome = json::parse(refused.body);
  EXPECT_EQ(outcome["resourceType"], "OperationOutcome");
  EXPECT_EQ(outcome["issue"][0]["code"], "business-rule");
  EXPECT_EQ(outcome["issue"][0]["details"]["coding"][0]["code"], "already_dispensed");
  EXPECT_EQ(outcome["issue"][0]["diagnostics"], "dispensed at 10:00");

  EXPECT_EQ(OutcomeResponse(FailedPrecondition("changed", "version_conflict")).status, 412);
  EXPECT_EQ(OutcomeResponse(InvalidArgument("bad", "malformed_json")).status, 400);
  EXPECT_EQ(OutcomeResponse(NotFound("no such type", "not_supported")).status, 404);
}

TEST(FhirOutcomeTest, HidesASystemErrorsText) {
  api::Response failed = OutcomeResponse(Internal("SELECT secret FROM t"));
  EXPECT_EQ(failed.status, 500);
  EXPECT_THAT(failed.body, Not(HasSubstr("secret")));
  EXPECT_THAT(failed.log_detail, HasSubstr("secret"));
  api::Request request{.id = "req-1"};
  api::TakeLogDetail(request, failed);
  EXPECT_THAT(json::parse(failed.body)["issue"][0]["diagnostics"].get<std::string>(),
              HasSubstr("req-1"));
}

TEST(FhirVersionTest, ReadsIfMatchAndRefusesAStaleOne) {
  api::Request request;
  EXPECT_FALSE(IfMatch(request)->has_value());
  request.headers["if-match"] = "W/\"2\"";
  EXPECT_EQ(**IfMatch(request), 2);
  request.headers["if-match"] = "W/\"x\"";
  EXPECT_THAT(IfMatch(request), StatusIs(StatusCode::kInvalidArgument, "invalid_if_match"));
  EXPECT_TRUE(CheckVersion(std::nullopt, 3).ok());
  EXPECT_TRUE(CheckVersion(3, 3).ok());
  EXPECT_THAT(CheckVersion(2, 3), StatusIs(StatusCode::kFailedPrecondition, "version_conflict"));
}

TEST(FhirSearchTest, ReadsTheQueryOrTheFormAndRefusesUnknownParameters) {
  constexpr std::string_view kAllowed[] = {"schedule", "status"};
  api::Request get{.method = api::Method::kGet};
  get.query = {{"schedule", "Schedule/sch-1"}, {"_count", "2"}};
  auto search = ReadSearch(get, kAllowed);
  ASSERT_TRUE(search.ok()) << search.status().message();
  EXPECT_EQ(search->Get("schedule"), "Schedule/sch-1");
  EXPECT_EQ(search->count, 2u);

  api::Request post{.method = api::Method::kPost, .body = "status=free&schedule=Schedule%2Fsch-1"};
  search = ReadSearch(post, kAllowed);
  ASSERT_TRUE(search.ok()) << search.status().message();
  EXPECT_EQ(search->Get("schedule"), "Schedule/sch-1");
  EXPECT_EQ(search->Get("status"), "free");

  get.query = {{"name", "张三"}};
  EXPECT_THAT(ReadSearch(get, kAllowed),
              StatusIs(StatusCode::kInvalidArgument, "unknown_search_parameter"));
  get.query = {{"_count", "0"}};
  EXPECT_THAT(ReadSearch(get, kAllowed),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
  post.body = "status=%zz";
  EXPECT_THAT(ReadSearch(post, kAllowed), StatusIs(StatusCode::kInvalidArgument, "malformed_form"));
}

TEST(FhirSearchTest, PagesABundleWithLinks) {
  api::Request request{.method = api::Method::kGet};
  request.headers["host"] = "city.example";
  const json matches[] = {{{"resourceType", "Slot"}, {"id", "slot-1"}},
                          {{"resourceType", "Slot"}, {"id", "slot-2"}},
                          {{"resourceType", "Slot"}, {"id", "slot-3"}}};
  Search search{.params = {{"status", "free"}}, .count = 2, .offset = 0};
  json page = SearchBundle(request, "Slot", search, matches);
  EXPECT_EQ(page["type"], "searchset");
  EXPECT_EQ(page["total"], 3);
  ASSERT_EQ(page["entry"].size(), 2u);
  EXPECT_EQ(page["entry"][0]["fullUrl"], "http://city.example/fhir/r4/Slot/slot-1");
  EXPECT_EQ(page["link"][1]["relation"], "next");
  EXPECT_EQ(page["link"][1]["url"],
            "http://city.example/fhir/r4/Slot?status=free&_count=2&_offset=2");

  search.offset = 2;
  page = SearchBundle(request, "Slot", search, matches);
  ASSERT_EQ(page["entry"].size(), 1u);
  EXPECT_EQ(page["entry"][0]["resource"]["id"], "slot-3");
  EXPECT_EQ(page["link"][1]["relation"], "previous");
}

}  // namespace
}  // namespace citycode::fhir
