// The terminal simulator behind `citycode terminal simulate`: registers N
// riders through the public API (with an issuing channel's key), enrols a
// phone for each, makes their codes and has a terminal verify them, online
// (POST /v1/verify) or offline (the downloaded signed lists and the verifier
// library). Used by tests and load measurements.
#ifndef CITYCODE_API_CLIENT_SIMULATOR_H_
#define CITYCODE_API_CLIENT_SIMULATOR_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/algorithm.h"

namespace citycode::api_client {

struct SimulationOptions {
  std::string server_url;    // http://host:port
  std::string terminal_key;  // the verifying terminal's API key
  std::string channel_key;   // an issuing channel's key (enrolment)
  // An admin key of a demo server: it reads the one-time codes texted to the
  // riders' phones from the demo's inbox (POST /v1/demo/texts).
  std::string admin_key;
  int citizens = 10;  // riders to register, one phone each
  int codes = 100;    // codes to verify, spread over the riders
  bool offline = false;
  crypto::Algorithm algorithm = crypto::Algorithm::kEd25519;
  // Per run: phones are 199 + this + a counter, so runs do not collide.
  std::uint32_t seed = 0;
};

struct SimulationSummary {
  int codes = 0;
  int valid = 0;
  std::map<std::string, int> refused;  // reason → count
  std::string scene;
  std::uint64_t trust_list_version = 0;
  std::uint64_t revocation_list_version = 0;
  std::chrono::nanoseconds verify_time{};  // verification only, not set-up
  std::chrono::nanoseconds p50{}, p99{};
};

// A syntactically valid, random resident ID number (region 370282, Jimo;
// born 1950-2004; GB 11643 check character), for simulated riders.
std::string RandomResidentIdNumber();

// unavailable when the server cannot be reached; unauthenticated for a bad
// key; the first error answer otherwise.
Result<SimulationSummary> Simulate(const SimulationOptions& options, const Clock& clock);

}  // namespace citycode::api_client

#endif  // CITYCODE_API_CLIENT_SIMULATOR_H_
