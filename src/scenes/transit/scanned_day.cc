#include "scenes/transit/scanned_day.h"

#include <algorithm>
#include <functional>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "code/presentation.h"
#include "crypto/hash.h"
#include "crypto/key.h"

namespace citycode::transit {
namespace {

constexpr std::int64_t kRidersPerCommit = 1000;
constexpr std::size_t kTapsPerSigningRound = 8192;
constexpr std::string_view kRiderName = "模拟乘客";
// Fictional, with a valid check character. A claimed ID number binds no
// one (citizens.h), so every simulated rider may claim the same.
constexpr std::string_view kRiderIdNumber = "370282199001010009";
constexpr std::string_view kSiteName = "模拟站点";

// The phone key of simulated rider `number`, derived so that it is never
// stored.
Result<crypto::PrivateKey> RiderKey(std::uint64_t seed, std::int64_t number) {
  const std::string input =
      "citycode simulated rider " + std::to_string(seed) + " " + std::to_string(number);
  const crypto::Digest digest = crypto::Sha256(AsBytes(input));
  return crypto::PrivateKey::FromEd25519Seed(digest);
}

// About the simulator's shares: 85 % the city's app, the rest the wallets.
code::Channel RiderChannel(std::int64_t number) {
  if (number % 20 < 17) return code::Channel::kApp;
  return number % 2 == 0 ? code::Channel::kWechat : code::Channel::kAlipay;
}

// The riders' credentials in one buffer: rider n's (1-based) are the bytes
// [ends[n - 1], ends[n]).
struct Credentials {
  Bytes bytes;
  std::vector<std::size_t> ends{0};
  ByteView Of(std::int64_t number) const {
    return ByteView(bytes).subspan(ends[number - 1], ends[number] - ends[number - 1]);
  }
};

// part(begin, end) over [0, count) in `threads` shares at once; the first
// error.
Status InParallel(std::size_t count, int threads,
                  const std::function<Status(std::size_t, std::size_t)>& part) {
  std::vector<std::future<Status>> parts;
  const std::size_t share =
      (count + static_cast<std::size_t>(threads) - 1) / static_cast<std::size_t>(threads);
  for (std::size_t begin = 0; begin < count; begin += share) {
    parts.push_back(std::async(std::launch::async, part, begin, std::min(count, begin + share)));
  }
  Status first_error;
  for (auto& running : parts) {
    Status status = running.get();
    if (first_error.ok()) first_error = status;
  }
  return first_error;
}

// Riders first-last (1-based) in one commit; their credentials in order
// (the first's from ends[1]).
Result<Credentials> EnrolCommit(platform::Platform& platform, std::uint64_t seed,
                                std::int64_t first, std::int64_t last) {
  Credentials issued;
  // The unit may run more than once: it starts afresh.
  CITYCODE_RETURN_IF_ERROR(platform.online_commits().Run([&](store::Transaction& tx) -> Status {
    issued = Credentials{};
    for (std::int64_t n = first; n <= last; ++n) {
      CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey key, RiderKey(seed, n));
      CITYCODE_ASSIGN_OR_RETURN(
          std::string citizen_id,
          platform.citizens().CreateHeldAccount(
              tx, {.name = std::string(kRiderName), .id_number = std::string(kRiderIdNumber)}));
      CITYCODE_ASSIGN_OR_RETURN(platform::IssuedCredential credential,
                                platform.devices().EnrolIn(tx, {.citizen_id = citizen_id,
                                                                .device_key = key.public_key(),
                                                                .label = "模拟",
                                                                .channel = RiderChannel(n)}));
      issued.bytes.insert(issued.bytes.end(), credential.credential.begin(),
                          credential.credential.end());
      issued.ends.push_back(issued.bytes.size());
    }
    return OkStatus();
  }));
  return issued;
}

// `threads` commits at once: on PostgreSQL each statement is a round trip,
// which one thread would wait for in turn (about 500 riders a second).
Result<Credentials> EnrolRiders(platform::Platform& platform, std::int64_t riders,
                                std::uint64_t seed, int threads) {
  const auto commits = static_cast<std::size_t>((riders + kRidersPerCommit - 1) / kRidersPerCommit);
  std::vector<Credentials> issued(commits);
  CITYCODE_RETURN_IF_ERROR(
      InParallel(commits, threads, [&](std::size_t begin, std::size_t end) -> Status {
        for (std::size_t c = begin; c < end; ++c) {
          const std::int64_t first = 1 + static_cast<std::int64_t>(c) * kRidersPerCommit;
          const std::int64_t last = std::min(riders, first + kRidersPerCommit - 1);
          CITYCODE_ASSIGN_OR_RETURN(issued[c], EnrolCommit(platform, seed, first, last));
        }
        return OkStatus();
      }));
  Credentials out;
  out.ends.reserve(static_cast<std::size_t>(riders) + 1);
  for (Credentials& commit : issued) {
    const std::size_t offset = out.bytes.size();
    out.bytes.insert(out.bytes.end(), commit.bytes.begin(), commit.bytes.end());
    for (std::size_t i = 1; i < commit.ends.size(); ++i) {
      out.ends.push_back(offset + commit.ends[i]);
    }
    commit = Credentials{};  // not held twice
  }
  return out;
}

// Where an agency's simulated terminals go: its operator and a site of it.
struct OperatorSite {
  std::string org_id, site_id;
};

// An operator for every agency of the feed (one that runs it, or a new one
// bound to it), each with a site.
Result<std::map<std::string, OperatorSite>> AgencyOperators(platform::Platform& platform,
                                                            Operators& operators,
                                                            const Feed& feed) {
  std::map<std::string, OperatorSite> out;
  for (const auto& [agency_id, agency] : feed.agencies) {
    CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> running, operators.RunnersOf(agency_id));
    OperatorSite site;
    if (running.empty()) {
      CITYCODE_ASSIGN_OR_RETURN(platform::Organisation org,
                                platform.organisations().Create(
                                    "模拟" + agency.name, platform::OrgKind::kTransitOperator));
      CITYCODE_RETURN_IF_ERROR(operators.AddAgency(org.id, agency_id));
      site.org_id = org.id;
    } else {
      site.org_id = running.front();
    }
    CITYCODE_ASSIGN_OR_RETURN(std::vector<platform::Site> sites,
                              platform.organisations().ListSites(site.org_id));
    if (sites.empty()) {
      CITYCODE_ASSIGN_OR_RETURN(platform::Site made,
                                platform.organisations().CreateSite(site.org_id, kSiteName));
      sites.push_back(std::move(made));
    }
    site.site_id = sites.front().id;
    out.emplace(agency_id, std::move(site));
  }
  return out;
}

// A tap waiting for its code.
struct Unsigned {
  ScannedTap scanned;
  std::int64_t rider = 0;
  std::uint64_t counter = 0;
};

// Each tap's code, `threads` at once.
Status SignCodes(std::vector<Unsigned>& taps, const Credentials& credentials, std::uint64_t seed,
                 int threads) {
  auto sign_range = [&](std::size_t begin, std::size_t end) -> Status {
    for (std::size_t i = begin; i < end; ++i) {
      Unsigned& u = taps[i];
      CITYCODE_ASSIGN_OR_RETURN(crypto::PrivateKey key, RiderKey(seed, u.rider));
      const ByteView credential = credentials.Of(u.rider);
      CITYCODE_ASSIGN_OR_RETURN(
          Bytes presentation,
          code::MakePresentation({.credential = Bytes(credential.begin(), credential.end()),
                                  .made_at = u.scanned.tap.at,
                                  .counter = u.counter},
                                 key));
      u.scanned.code = code::ToQrText(presentation);
    }
    return OkStatus();
  };
  return InParallel(taps.size(), threads, sign_range);
}

}  // namespace

Result<SimulationSummary> SimulateScannedDay(platform::Platform& platform, Operators& operators,
                                             const Feed& feed, const ScannedDayOptions& options,
                                             const ScannedTapSink& sink) {
  const SimulationOptions& simulation = options.simulation;
  if (options.threads < 1) return InvalidArgument("threads must be >= 1");
  if (simulation.riders < 1 || simulation.riders > kMaxSimulatedRiders) {
    return InvalidArgument("riders must be 1-" + std::to_string(kMaxSimulatedRiders));
  }
  CITYCODE_ASSIGN_OR_RETURN(auto agency_operators, AgencyOperators(platform, operators, feed));
  CITYCODE_ASSIGN_OR_RETURN(Credentials credentials, EnrolRiders(platform, simulation.riders,
                                                                 simulation.seed, options.threads));
  std::vector<std::uint64_t> counters(static_cast<std::size_t>(simulation.riders) + 1, 0);
  std::map<std::string, std::string, std::less<>> terminal_ids;  // simulated name → platform id
  std::vector<Unsigned> pending;
  pending.reserve(kTapsPerSigningRound);
  auto flush = [&]() -> Status {
    CITYCODE_RETURN_IF_ERROR(SignCodes(pending, credentials, simulation.seed, options.threads));
    for (const Unsigned& u : pending) CITYCODE_RETURN_IF_ERROR(sink(u.scanned));
    pending.clear();
    return OkStatus();
  };
  auto summary = SimulateDay(feed, simulation, [&](const TapUpload& upload) -> Status {
    auto terminal = terminal_ids.find(upload.tap.terminal_id);
    if (terminal == terminal_ids.end()) {
      const OperatorSite& site = agency_operators.at(feed.routes.at(upload.tap.route_id).agency_id);
      CITYCODE_ASSIGN_OR_RETURN(auto made, platform.access_keys().CreateTerminal(
                                               site.org_id, site.site_id, upload.tap.terminal_id));
      terminal = terminal_ids.emplace(upload.tap.terminal_id, made.first.id).first;
    }
    const std::int64_t rider = SimulatedRiderNumber(upload.rider_id);
    Unsigned& u = pending.emplace_back();
    u.scanned.tap = upload.tap;
    u.scanned.tap.terminal_id = terminal->second;
    u.scanned.tap.rider_category_id.clear();
    u.rider = rider;
    u.counter = ++counters[static_cast<std::size_t>(rider)];
    return pending.size() < kTapsPerSigningRound ? OkStatus() : flush();
  });
  if (!summary.ok()) return summary.status();
  CITYCODE_RETURN_IF_ERROR(flush());
  return summary;
}

}  // namespace citycode::transit
