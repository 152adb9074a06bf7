// A webhook receiver for tests and the demo (`citycode outbox receiver`):
// it verifies Standard Webhooks signatures and the timestamp tolerance,
// de-duplicates by webhook-id, appends each new message to a JSON-lines
// file (0600), and on request misbehaves, so the relay's retries can be
// seen working against a real HTTP peer.
//
//   POST <any path>   a webhook: 204 stored, 200 a duplicate (stored
//                     before), 400 bad headers, 401 bad signature or stale
//                     timestamp, 413 too large
//   POST /control     {"fault": "none|drop|500|429|410|stall",
//                      "count": N (how many webhooks; -1 until changed),
//                      "retry_after": "5" (429), "stall_seconds": 30}
//   GET  /control     {"stored": N, "duplicates": N, "refused": N}
//
// Each stored line: {"id", "timestamp", "signature", "body" (the raw body
// as received), "received_at"}. Ids in the file are read back at start, so
// de-duplication survives a restart (and a kill -9: a torn last line is
// closed and skipped). /control is unauthenticated: listen on loopback.
#ifndef CITYCODE_OUTBOX_RECEIVER_H_
#define CITYCODE_OUTBOX_RECEIVER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "outbox/signature.h"

namespace citycode::outbox {

enum class ReceiverFault { kNone, kDrop, kError500, kTooMany429, kGone410, kStall };
// "none", "drop", "500", "429", "410", "stall".
Result<ReceiverFault> ReceiverFaultFromName(std::string_view name);

struct FaultPlan {
  ReceiverFault fault = ReceiverFault::kNone;
  int count = -1;                  // webhooks it applies to; -1: until changed
  std::string retry_after = "5";   // sent with 429
  std::chrono::seconds stall{30};  // how long a stall holds the connection
};

struct ReceiverOptions {
  std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free one
  WebhookVerifier verifier;            // needs a secret or a public key
  std::filesystem::path store_file;
  std::size_t max_body_bytes = 1 << 20;
  FaultPlan fault;
};

struct ReceiverCounts {
  std::size_t stored = 0, duplicates = 0, refused = 0;
};

class Receiver {
 public:
  // Opens the store file and listens. `clock` (for the timestamp check)
  // must outlive it. invalid_argument for a bad address or no key;
  // unavailable when the address cannot be bound or the file opened.
  static Result<std::unique_ptr<Receiver>> Start(ReceiverOptions options, const Clock& clock);
  ~Receiver();  // Stop()
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::uint16_t port() const;
  void SetFault(const FaultPlan& plan);
  ReceiverCounts counts() const;
  // Closes the listener and every connection, and joins their threads.
  void Stop();

 private:
  struct Impl;
  explicit Receiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::outbox

#endif  // CITYCODE_OUTBOX_RECEIVER_H_
