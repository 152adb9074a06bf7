// The outbox: events written in the business transaction, delivered later
// by a relay as signed webhooks (Standard Webhooks), at least once, in order
// per stream. docs/OUTBOX.md tells the whole story; in short:
//
//   - A scene calls Enqueue(tx, event) inside the write transaction that
//     stores its own row, so the event exists exactly when the row does.
//     Each event belongs to a stream (a hotel stay) of one destination and
//     gets the stream's next sequence number (1, 2, 3 …) and a unique id,
//     the webhook-id a receiver de-duplicates on.
//   - A relay round (RunOnce) claims the due events: only the oldest
//     undelivered event of each stream, only when next_attempt_at has come,
//     only for enabled destinations; different streams go in parallel. A
//     claim is a lease (claimed_by, claim_expires_at) taken by a
//     conditional UPDATE, so several relays on one database never send one
//     event at once, and a dead relay's claim is taken over when it expires.
//     It polls on the state ("not yet delivered"), never on an id cursor.
//   - A 2xx answer marks the event delivered. Any other answer or none is a
//     failed try: the next waits by the destination's retry schedule (with
//     jitter), or by Retry-After on 429/503; after the last try the event is
//     dead and its stream waits (nothing later in it is sent) until it is
//     retried or replayed. 410 Gone disables the destination until
//     EnableDestination.
//
// Thread safety: an Outbox is safe to share; RunOnce may run on several
// threads or processes at once. Every time comes from the Clock.
#ifndef CITYCODE_OUTBOX_OUTBOX_H_
#define CITYCODE_OUTBOX_OUTBOX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "outbox/destination.h"
#include "outbox/transport.h"
#include "store/database.h"

namespace citycode::outbox {

// The outbox's schema versions (store::Migration), block 9000.
inline constexpr int kMigrationBlockStart = 9000;

struct EventRequest {
  std::string destination;  // a configured destination's name
  // The stream: events of one stream reach the destination one after
  // another, in the order they were enqueued. 1-200 printable ASCII
  // characters. Never personal data (it is listed and logged): an id.
  std::string stream;
  // "hotel.guest.checked_in": letters, digits, '_' and '.', 1-100.
  std::string type;
  nlohmann::json data = nlohmann::json::object();  // an object, at most 64 KiB as JSON
  std::optional<Instant> occurred_at;              // default: the clock's now
};

struct EnqueuedEvent {
  std::string id;  // "msg_<32 hex>": the webhook-id
  std::int64_t sequence = 0;
};

enum class EventState { kPending, kDelivered, kDead };
std::string_view EventStateName(EventState state);  // "pending", "delivered", "dead"
Result<EventState> EventStateFromName(std::string_view name);

// What an operator sees of an event: never its data (it may hold personal
// data).
struct EventSummary {
  std::string id, destination, stream, type;
  std::int64_t sequence = 0;
  EventState state = EventState::kPending;
  std::int64_t attempts = 0;
  Instant occurred_at{}, next_attempt_at{};
  std::optional<Instant> delivered_at;
  std::optional<int> last_status;  // the last HTTP status, none if no answer
  std::string last_error;          // short, e.g. "HTTP 503", "connection refused"
};

struct EventFilter {
  std::optional<std::string> destination;
  std::optional<std::string> stream;
  std::optional<EventState> state;
  std::size_t limit = 100;  // 1-10000; oldest first
};

// The delivered or dead events of one destination to send again.
struct ReplayRange {
  std::string destination;
  std::optional<std::string> stream;  // all streams when absent
  std::optional<Instant> since;       // occurred_at >= since
  std::optional<Instant> until;       // occurred_at < until
};

struct DestinationState {
  std::string name;
  bool configured = false;
  std::optional<Instant> disabled_at;  // set by a 410 Gone
  std::string disabled_reason;
  std::int64_t pending = 0, dead = 0;
};

struct RelayRound {
  std::size_t claimed = 0, delivered = 0, failed = 0;
};

class Outbox {
 public:
  // Applies the outbox migrations and checks the config. `db` and `clock`
  // must outlive the Outbox. Without a transport, HTTP (MakeHttpTransport).
  // invalid_argument for a bad config (two destinations of one name).
  static Result<std::unique_ptr<Outbox>> Open(store::Database& db, const Clock& clock,
                                              OutboxConfig config,
                                              std::unique_ptr<Transport> transport = nullptr);
  // Stops the background relay if it runs.
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  bool HasDestination(std::string_view name) const;

  // Writes the event in `tx` (a write transaction the caller commits with
  // its own rows; rolled back, no event). invalid_argument (bad_event) for a
  // malformed stream, type or data; not_found (unknown_destination) for a
  // destination the config does not name; storage errors as the store
  // returns them.
  Result<EnqueuedEvent> Enqueue(store::Transaction& tx, const EventRequest& event) const;

  // One relay round: claims up to `workers` due events (at most one per
  // stream), delivers them in parallel and records each outcome. Errors
  // are the store's; a failed delivery is an outcome, not an error.
  Result<RelayRound> RunOnce();
  // The relay on a thread of its own: rounds back to back while there is
  // work, one poll interval apart when there is none. For the server;
  // tests call RunOnce. Idempotent, and so is StopRelay.
  void StartRelay();
  void StopRelay();

  Result<std::vector<EventSummary>> List(const EventFilter& filter);
  // Makes a pending (retrying) or dead event due now; a dead one starts its
  // retry schedule again. not_found (unknown_event); failed_precondition
  // (already_delivered).
  Status Retry(std::string_view event_id);
  // Makes the delivered and dead events of the range pending again, due
  // now, with a fresh schedule; they are sent with their own ids, in
  // sequence order per stream. Returns how many. Delivered events purged
  // before (PurgeDelivered) are not there to replay.
  Result<std::size_t> Replay(const ReplayRange& range);
  // Deletes the events delivered more than config.keep_delivered ago, a
  // batch per transaction so the relay never waits long; pending and dead
  // events stay, and a stream's numbering goes on. Returns how many.
  Result<std::int64_t> PurgeDelivered();
  // Every destination configured or holding events, with its counts.
  Result<std::vector<DestinationState>> Destinations();
  // Lifts a 410's disabling. not_found (unknown_destination) when the
  // destination is neither configured nor disabled.
  Status EnableDestination(std::string_view name);

 private:
  struct Impl;
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::outbox

#endif  // CITYCODE_OUTBOX_OUTBOX_H_
