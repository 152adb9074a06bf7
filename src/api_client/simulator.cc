#include "api_client/simulator.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "api_client/http_client.h"
#include "code/presentation.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "crypto/key.h"
#include "crypto/random.h"

namespace citycode::api_client {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

struct Rider {
  crypto::PrivateKey device;
  Bytes credential;
  std::uint64_t counter = 0;
};

// An error answer as a Status, with the server's message.
Status FromReply(const HttpReply& reply, std::string_view what) {
  const auto doc = json::parse(reply.body, nullptr, false);
  std::string message = std::string(what) + ": HTTP " + std::to_string(reply.status);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    message += " " + doc["error"].value("code", "") + ": " + doc["error"].value("message", "");
  }
  switch (reply.status) {
    case 400: return InvalidArgument(message);
    case 401: return Unauthenticated(message);
    case 403: return PermissionDenied(message);
    case 404: return NotFound(message);
    case 409: return FailedPrecondition(message);
    case 429: return ResourceExhausted(message);
    default: return Unavailable(message);
  }
}

Result<json> Call(HttpClient& client, std::string_view method, std::string_view target,
                  const json& body, const std::vector<std::pair<std::string, std::string>>& headers,
                  int expected, std::string_view what) {
  CITYCODE_ASSIGN_OR_RETURN(
      HttpReply reply, client.Send(method, target, body.is_null() ? "" : body.dump(), headers));
  if (reply.status != expected) return FromReply(reply, what);
  json doc = json::parse(reply.body, nullptr, false);
  if (doc.is_discarded()) return Internal(std::string(what) + ": the answer is not JSON");
  return doc;
}

Result<Rider> EnrolRider(HttpClient& client, const SimulationOptions& options, int index) {
  char phone[16];
  std::snprintf(phone, sizeof phone, "199%04u%04d", options.seed % 10000, index % 10000);
  const std::string password = "simulated-" + ToHex(crypto::RandomArray<8>());
  CITYCODE_RETURN_IF_ERROR(Call(client, "POST", "/v1/citizens",
                                {{"name", "模拟乘客" + std::to_string(index)},
                                 {"id_number", RandomResidentIdNumber()},
                                 {"phone", phone},
                                 {"password", password}},
                                {}, 202, "register a rider")
                               .status());
  CITYCODE_ASSIGN_OR_RETURN(json texts, Call(client, "POST", "/v1/demo/texts", {{"phone", phone}},
                                             {{"Authorization", "Bearer " + options.admin_key}},
                                             200, "read the rider's code"));
  if (!texts["code"].is_string()) return Unavailable("no code was texted to the rider");
  CITYCODE_RETURN_IF_ERROR(Call(client, "POST", "/v1/citizens/confirm",
                                {{"phone", phone}, {"code", texts["code"]}}, {}, 201,
                                "confirm the rider's phone")
                               .status());
  CITYCODE_ASSIGN_OR_RETURN(
      json session, Call(client, "POST", "/v1/sessions", {{"phone", phone}, {"password", password}},
                         {}, 201, "log in"));
  CITYCODE_ASSIGN_OR_RETURN(auto device, crypto::PrivateKey::Generate(options.algorithm));
  CITYCODE_ASSIGN_OR_RETURN(
      json enrolled,
      Call(client, "POST", "/v1/me/devices", {{"public_key", device.public_key().ToPem()}},
           {{"Authorization", "Bearer " + session["token"].get<std::string>()},
            {"X-Channel-Key", options.channel_key}},
           201, "enrol a phone"));
  CITYCODE_ASSIGN_OR_RETURN(Bytes credential,
                            Base64UrlDecode(enrolled["credential"].get<std::string>()));
  return Rider{.device = std::move(device), .credential = std::move(credential)};
}

Result<std::string> GetList(HttpClient& client, std::string_view target) {
  CITYCODE_ASSIGN_OR_RETURN(HttpReply reply, client.Send("GET", target));
  if (reply.status != 200) return FromReply(reply, "download a list");
  return reply.body;
}

}  // namespace

std::string RandomResidentIdNumber() {
  const auto random = crypto::RandomArray<8>();
  std::string id = "370282";
  id += std::to_string(1950 + random[0] % 55);
  const int month = 1 + random[1] % 12, day = 1 + random[2] % 28;
  id +=
      (month < 10 ? "0" : "") + std::to_string(month) + (day < 10 ? "0" : "") + std::to_string(day);
  for (int i = 0; i < 3; ++i) id += static_cast<char>('0' + random[3 + i] % 10);
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  id += "10X98765432"[sum % 11];
  return id;
}

Result<SimulationSummary> Simulate(const SimulationOptions& options, const Clock& clock) {
  if (options.citizens < 1 || options.codes < 0) {
    return InvalidArgument("need at least one citizen and no negative code count");
  }
  CITYCODE_ASSIGN_OR_RETURN(auto client, HttpClient::Create(options.server_url));
  const std::vector<std::pair<std::string, std::string>> terminal_auth = {
      {"Authorization", "Bearer " + options.terminal_key}};
  CITYCODE_ASSIGN_OR_RETURN(json terminal, Call(*client, "GET", "/v1/terminal", nullptr,
                                                terminal_auth, 200, "identify the terminal"));
  SimulationSummary summary{.scene = terminal["scene"].get<std::string>()};
  CITYCODE_ASSIGN_OR_RETURN(code::Scene scene, code::SceneFromName(summary.scene));

  std::vector<Rider> riders;
  for (int i = 0; i < options.citizens; ++i) {
    CITYCODE_ASSIGN_OR_RETURN(Rider rider, EnrolRider(*client, options, i));
    riders.push_back(std::move(rider));
  }
  // The codes, made before any is verified, as phones show them.
  std::vector<std::string> codes;
  for (int i = 0; i < options.codes; ++i) {
    Rider& rider = riders[static_cast<std::size_t>(i) % riders.size()];
    CITYCODE_ASSIGN_OR_RETURN(
        Bytes presentation,
        code::MakePresentation(
            {.credential = rider.credential, .made_at = clock.Now(), .counter = ++rider.counter},
            rider.device));
    codes.push_back(code::ToQrText(presentation));
  }

  std::unique_ptr<code::Verifier> verifier;
  if (options.offline) {
    CITYCODE_ASSIGN_OR_RETURN(std::string root_pem, GetList(*client, "/v1/lists/root.pem"));
    CITYCODE_ASSIGN_OR_RETURN(auto root, crypto::PublicKey::FromPem(root_pem));
    CITYCODE_ASSIGN_OR_RETURN(std::string trust_jws, GetList(*client, "/v1/lists/trust"));
    CITYCODE_ASSIGN_OR_RETURN(std::string revocation_jws, GetList(*client, "/v1/lists/revocation"));
    CITYCODE_ASSIGN_OR_RETURN(auto trust, code::VerifyTrustList(trust_jws, root));
    CITYCODE_ASSIGN_OR_RETURN(auto revocation, code::VerifyRevocationList(revocation_jws, root));
    summary.trust_list_version = trust.version;
    summary.revocation_list_version = revocation.version;
    verifier = std::make_unique<code::Verifier>(clock, std::move(trust), std::move(revocation));
  }

  std::vector<std::chrono::nanoseconds> latencies;
  latencies.reserve(codes.size());
  for (const std::string& text : codes) {
    const auto start = SteadyClock::now();
    bool valid = false;
    std::string reason;
    if (verifier) {
      const auto result = verifier->Verify(text, scene);
      valid = result.valid;
      reason = code::ReasonName(result.reason);
    } else {
      CITYCODE_ASSIGN_OR_RETURN(json answer, Call(*client, "POST", "/v1/verify", {{"code", text}},
                                                  terminal_auth, 200, "verify a code"));
      valid = answer["valid"].get<bool>();
      reason = answer["reason"].get<std::string>();
    }
    latencies.push_back(SteadyClock::now() - start);
    ++summary.codes;
    if (valid) {
      ++summary.valid;
    } else {
      ++summary.refused[reason];
    }
  }
  for (auto latency : latencies) summary.verify_time += latency;
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    summary.p50 = latencies[latencies.size() / 2];
    summary.p99 = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  }
  return summary;
}

}  // namespace citycode::api_client
