// Where the outbox delivers: the destinations of citycode.toml.
//
//   [outbox]
//   workers = 4                 # webhooks one relay has in flight at once
//   batch = 256                 # due events (one per stream) one round claims
//   poll_seconds = 2            # how often an idle relay looks for due events
//
//   [outbox.police]             # one section per destination, named after it
//   url = "http://10.0.0.5:8080/hotel-guests"
//   secrets = "whsec_… whsec_…" # v1 (HMAC-SHA256); several during a rotation
//   signing_keys = "whsk_…"     # v1a (Ed25519); several during a rotation
//   secrets_file = "police.whsec"       # or either list in a file (one a
//   signing_keys_file = "police.whsk"   #   line), kept out of citycode.toml
//   retry_schedule = "0s 5s 5m 30m 2h 5h 10h 24h"
//   jitter = 0.1                # each wait is lengthened by up to 10 %
//   timeout_seconds = 15
//
// A destination needs at least one secret or signing key: nothing is sent
// unsigned. Only http:// URLs (a TLS egress proxy in front, as for the
// server's own TLS terminator).
#ifndef CITYCODE_OUTBOX_DESTINATION_H_
#define CITYCODE_OUTBOX_DESTINATION_H_

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "outbox/signature.h"

namespace citycode::outbox {

// The Standard Webhooks example schedule, cut at 24 h: the first try at
// once, then after each failure the next wait; after the last, dead.
std::vector<std::chrono::seconds> DefaultRetrySchedule();

struct DestinationConfig {
  std::string name;  // [a-z0-9_-], 1-64 characters: events name it
  std::string url;   // http://host[:port]/path
  WebhookSigner signer;
  // Wait before try i (i = 0 the first): 8 tries by default.
  std::vector<std::chrono::seconds> retry_schedule = DefaultRetrySchedule();
  // Each wait is lengthened by a random part of up to `jitter` of it, so
  // retries of many events do not arrive together.
  double jitter = 0.1;
  std::chrono::seconds timeout{15};
};

struct OutboxConfig {
  std::vector<DestinationConfig> destinations;
  std::size_t workers = 4;  // 1-64: connections in flight at once
  // Due events one round claims and records in one transaction each (one
  // per stream), 1-10000: a busy relay commits twice per batch, not twice
  // per event.
  std::size_t batch = 256;
  std::chrono::seconds poll_interval{2};  // the background relay's idle wait
  // Delivered events older than this are deleted by PurgeDelivered (the
  // server's upkeep), 1-3650 days: a replay reaches back this far.
  std::chrono::days keep_delivered{90};
};

// Reads [outbox] (`outbox`, may be empty) and one table per destination
// (`destinations`: name → the keys of [outbox.NAME]). invalid_argument naming
// "outbox.NAME.key" for an unknown key, a wrong type, a bad URL, secret, key
// or schedule, a destination with nothing to sign with.
Result<OutboxConfig> ReadOutboxConfig(
    const ConfigTable& outbox, const std::map<std::string, ConfigTable, std::less<>>& destinations);

// "0s 5s 5m 30m 2h" (whole numbers with s, m, h or d; 1-20 steps, each at
// most 7 days). invalid_argument otherwise.
Result<std::vector<std::chrono::seconds>> ParseRetrySchedule(std::string_view text);

// invalid_argument unless `url` is http://host[:port]/path with a host.
Status CheckDestinationUrl(std::string_view url);

}  // namespace citycode::outbox

#endif  // CITYCODE_OUTBOX_DESTINATION_H_
