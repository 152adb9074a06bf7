// The outbox: schema, enqueue, the relay's claim → deliver → record, and the
// operator's list, retry and replay (outbox.h).
//
// The webhook body, minified JSON with its keys in this order:
//   {"data":{…},"id":"msg_…","occurred_at":"2026-12-06T10:00:00Z",
//    "sequence":1,"stream":"stay_…","type":"hotel.guest.checked_in"}
#include "outbox/outbox.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "crypto/random.h"
#include "outbox/internal/schedule.h"
#include "store/batched_delete.h"

namespace citycode::outbox {
namespace {

using store::Int;
using store::Text;
using store::Time;
using store::Value;

const store::Migration kMigrations[] = {
    {9001, "outbox events, streams and destinations",
     "CREATE TABLE outbox_streams ("
     "  destination TEXT NOT NULL,"
     "  stream TEXT NOT NULL,"
     "  last_sequence BIGINT NOT NULL,"
     "  PRIMARY KEY (destination, stream)) WITHOUT ROWID;"
     "CREATE TABLE outbox_events ("
     "  event_id TEXT PRIMARY KEY,"
     "  destination TEXT NOT NULL,"
     "  stream TEXT NOT NULL,"
     "  sequence BIGINT NOT NULL,"
     "  event_type TEXT NOT NULL,"
     "  data TEXT NOT NULL,"
     "  occurred_at BIGINT NOT NULL,"
     "  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),"
     "  attempts BIGINT NOT NULL,"
     "  next_attempt_at BIGINT NOT NULL,"
     "  claimed_by TEXT,"
     "  claim_expires_at BIGINT,"
     "  last_status BIGINT,"
     "  last_error TEXT,"
     "  delivered_at BIGINT,"
     "  UNIQUE (destination, stream, sequence));"
     "CREATE INDEX outbox_events_due ON outbox_events (state, next_attempt_at);"
     "CREATE TABLE outbox_destinations ("
     "  name TEXT PRIMARY KEY,"
     "  disabled_at BIGINT,"
     "  disabled_reason TEXT) WITHOUT ROWID"},
    // A stream's head: the sequence of its oldest undelivered event (NULL
    // when none), the only one of it a relay may send. Due events are found
    // through the heads, so a round reads one row per active stream, not
    // every pending event (a backlog of hours would otherwise make each
    // round scan it all).
    {9002, "outbox stream heads",
     "ALTER TABLE outbox_streams ADD COLUMN head_sequence BIGINT;"
     "UPDATE outbox_streams SET head_sequence = (SELECT MIN(e.sequence) FROM outbox_events e "
     "  WHERE e.destination = outbox_streams.destination AND e.stream = outbox_streams.stream "
     "  AND e.state <> 'delivered');"
     "CREATE INDEX outbox_streams_head ON outbox_streams (destination, stream) "
     "  WHERE head_sequence IS NOT NULL"},
    // Retention: the delivered events by when, so a purge reads only what
    // it deletes.
    {9003, "outbox delivered events by time",
     "CREATE INDEX outbox_events_delivered ON outbox_events (delivered_at) "
     "  WHERE state = 'delivered'"},
};

// Delivered events deleted per transaction by PurgeDelivered.
constexpr std::int64_t kPurgeBatch = 1000;
constexpr char kPurgeDelivered[] =
    "DELETE FROM outbox_events WHERE event_id IN (SELECT event_id FROM outbox_events "
    "WHERE state = 'delivered' AND delivered_at < ? LIMIT ?)";

constexpr std::size_t kMaxStream = 200;
constexpr std::size_t kMaxType = 100;
constexpr std::size_t kMaxData = 64 * 1024;
// A claim outlives the delivery's timeout by this much, so a live relay's
// claim never lapses while it waits for an answer.
constexpr std::chrono::seconds kClaimMargin{60};

constexpr char kNextSequence[] =
    "INSERT INTO outbox_streams (destination, stream, last_sequence, head_sequence) "
    "VALUES (?, ?, 1, 1) ON CONFLICT (destination, stream) DO UPDATE "
    "SET last_sequence = outbox_streams.last_sequence + 1, head_sequence = "
    "COALESCE(outbox_streams.head_sequence, outbox_streams.last_sequence + 1) "
    "RETURNING last_sequence";
constexpr char kInsertEvent[] =
    "INSERT INTO outbox_events (event_id, destination, stream, sequence, event_type, data, "
    "occurred_at, state, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)";
// Due: its stream's head (nothing earlier in it undelivered), pending, its
// time come, not claimed by a live relay, its destination enabled.
constexpr char kSelectDue[] =
    "SELECT e.event_id, e.destination, e.stream, e.sequence, e.event_type, e.data, "
    "e.occurred_at, e.attempts FROM outbox_streams s JOIN outbox_events e "
    "ON e.destination = s.destination AND e.stream = s.stream AND e.sequence = s.head_sequence "
    "WHERE s.head_sequence IS NOT NULL AND e.state = 'pending' AND e.next_attempt_at <= ? "
    "AND (e.claim_expires_at IS NULL OR e.claim_expires_at <= ?) "
    "AND NOT EXISTS (SELECT 1 FROM outbox_destinations d "
    "  WHERE d.name = e.destination AND d.disabled_at IS NOT NULL) "
    "AND e.destination IN ";
// A delivered head makes the next event of its stream the head, if there
// is one: sequences are given without gaps in the enqueuing transaction,
// and last_sequence is read from the row as locked here, so an event
// enqueued meanwhile is never passed over.
constexpr char kAdvanceHead[] =
    "UPDATE outbox_streams SET head_sequence = CASE WHEN last_sequence > ? THEN ? ELSE NULL END "
    "WHERE destination = ? AND stream = ? AND head_sequence = ?";
// After a replay: each stream's oldest undelivered event again.
constexpr char kResetHeads[] =
    "UPDATE outbox_streams SET head_sequence = (SELECT MIN(e.sequence) FROM outbox_events e "
    "WHERE e.destination = outbox_streams.destination AND e.stream = outbox_streams.stream "
    "AND e.state <> 'delivered') WHERE destination = ?";
constexpr char kClaim[] =
    "UPDATE outbox_events SET claimed_by = ?, claim_expires_at = ? WHERE event_id = ? "
    "AND state = 'pending' AND (claim_expires_at IS NULL OR claim_expires_at <= ?)";
constexpr char kMarkDelivered[] =
    "UPDATE outbox_events SET state = 'delivered', delivered_at = ?, attempts = attempts + 1, "
    "last_status = ?, last_error = NULL, claimed_by = NULL, claim_expires_at = NULL "
    "WHERE event_id = ? AND state = 'pending'";
constexpr char kMarkFailed[] =
    "UPDATE outbox_events SET state = ?, attempts = attempts + 1, next_attempt_at = ?, "
    "last_status = ?, last_error = ?, claimed_by = NULL, claim_expires_at = NULL "
    "WHERE event_id = ? AND state = 'pending' AND claimed_by = ?";
constexpr char kDisableDestination[] =
    "INSERT INTO outbox_destinations (name, disabled_at, disabled_reason) VALUES (?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET disabled_at = excluded.disabled_at, "
    "disabled_reason = excluded.disabled_reason";
constexpr char kEnableDestination[] =
    "UPDATE outbox_destinations SET disabled_at = NULL, disabled_reason = NULL WHERE name = ?";
constexpr char kSelectState[] = "SELECT state FROM outbox_events WHERE event_id = ?";
constexpr char kRetry[] =
    "UPDATE outbox_events SET state = 'pending', next_attempt_at = ?, "
    "attempts = CASE WHEN state = 'dead' THEN 0 ELSE attempts END WHERE event_id = ?";
constexpr char kListColumns[] =
    "SELECT event_id, destination, stream, sequence, event_type, state, attempts, occurred_at, "
    "next_attempt_at, delivered_at, last_status, last_error FROM outbox_events";
constexpr char kDestinationCounts[] =
    "SELECT destination, SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END) FROM outbox_events GROUP BY destination";
constexpr char kDisabledDestinations[] =
    "SELECT name, disabled_at, disabled_reason FROM outbox_destinations";

bool IsPrintableAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool IsValidType(std::string_view type) {
  return std::all_of(type.begin(), type.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
  });
}

Status CheckEvent(const EventRequest& event, const std::string& data) {
  if (event.stream.empty() || event.stream.size() > kMaxStream || !IsPrintableAscii(event.stream)) {
    return InvalidArgument("an outbox stream is 1-200 printable ASCII characters", "bad_event");
  }
  if (event.type.empty() || event.type.size() > kMaxType || !IsValidType(event.type)) {
    return InvalidArgument("an outbox event type is 1-100 of A-Z a-z 0-9 _ .", "bad_event");
  }
  if (!event.data.is_object()) {
    return InvalidArgument("an outbox event's data must be a JSON object", "bad_event");
  }
  if (data.size() > kMaxData) {
    return InvalidArgument("an outbox event's data must be at most 64 KiB", "bad_event");
  }
  return OkStatus();
}

// A claimed event, with what its delivery needs.
struct Claimed {
  std::string id, destination, stream, type, data;
  std::int64_t sequence = 0, attempts = 0;
  Instant occurred_at{};
};

Claimed ClaimedFromRow(const store::Row& row) {
  return {.id = row.Text(0),
          .destination = row.Text(1),
          .stream = row.Text(2),
          .type = row.Text(4),
          .data = row.Text(5),
          .sequence = row.Int(3),
          .attempts = row.Int(7),
          .occurred_at = FromUnixSeconds(row.Int(6))};
}

std::string Body(const Claimed& event) {
  nlohmann::json body = {{"id", event.id},
                         {"type", event.type},
                         {"stream", event.stream},
                         {"sequence", event.sequence},
                         {"occurred_at", FormatRfc3339(event.occurred_at)}};
  // Stored by Enqueue from a valid object; a row changed behind our back
  // still goes out, as an empty object, rather than stopping the stream.
  body["data"] = nlohmann::json::parse(event.data, nullptr, false);
  if (body["data"].is_discarded()) body["data"] = nlohmann::json::object();
  return body.dump();
}

EventSummary SummaryFromRow(const store::Row& row) {
  EventSummary summary{.id = row.Text(0),
                       .destination = row.Text(1),
                       .stream = row.Text(2),
                       .type = row.Text(4),
                       .sequence = row.Int(3),
                       .attempts = row.Int(6),
                       .occurred_at = FromUnixSeconds(row.Int(7)),
                       .next_attempt_at = FromUnixSeconds(row.Int(8))};
  auto state = EventStateFromName(row.Text(5));
  summary.state = state.ok() ? *state : EventState::kPending;
  if (auto at = row.OptionalInt(9)) summary.delivered_at = FromUnixSeconds(*at);
  if (auto status = row.OptionalInt(10)) summary.last_status = static_cast<int>(*status);
  summary.last_error = row.OptionalText(11).value_or("");
  return summary;
}

}  // namespace

std::string_view EventStateName(EventState state) {
  switch (state) {
    case EventState::kPending: return "pending";
    case EventState::kDelivered: return "delivered";
    case EventState::kDead: return "dead";
  }
  return "pending";
}

Result<EventState> EventStateFromName(std::string_view name) {
  if (name == "pending") return EventState::kPending;
  if (name == "delivered") return EventState::kDelivered;
  if (name == "dead") return EventState::kDead;
  return InvalidArgument("an event state is pending, delivered or dead");
}

struct Outbox::Impl {
  store::Database& db;
  const Clock& clock;
  OutboxConfig config;
  std::unique_ptr<Transport> transport;
  const std::string relay_id = crypto::RandomId("relay");

  std::mutex mutex;  // guards the background relay's state
  std::condition_variable wake;
  bool stopping = false;
  std::thread relay;

  const DestinationConfig* Find(std::string_view name) const {
    for (const auto& destination : config.destinations) {
      if (destination.name == name) return &destination;
    }
    return nullptr;
  }

  Result<std::vector<Claimed>> Claim();
  Result<WebhookReply> Deliver(const Claimed& event);
  Status Record(store::Transaction& tx, const Claimed& event, const Result<WebhookReply>& reply);
  void RelayLoop(Outbox& outbox);
};

Result<std::vector<Claimed>> Outbox::Impl::Claim() {
  std::vector<Claimed> claimed;
  if (config.destinations.empty()) return claimed;
  const Instant now = clock.Now();
  std::string sql = kSelectDue;
  std::vector<Value> params = {Time(now), Time(now)};
  sql += "(";
  for (std::size_t i = 0; i < config.destinations.size(); ++i) {
    sql += i == 0 ? "?" : ", ?";
    params.push_back(Text(config.destinations[i].name));
  }
  sql += ") ORDER BY e.next_attempt_at, e.occurred_at LIMIT ?";
  params.push_back(Int(static_cast<std::int64_t>(config.batch)));
  // PostgreSQL: another relay's claim in flight is skipped, not waited for.
  if (db.backend() == store::Backend::kPostgres) sql += " FOR UPDATE OF e SKIP LOCKED";
  Status status = store::RunInTransaction(db, store::TransactionMode::kWrite, [&](auto& tx) {
    claimed.clear();
    CITYCODE_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
    // The round sends them `workers` at a time: a lease lasts as many tries.
    const auto waves =
        static_cast<std::int64_t>((rows.size() + config.workers - 1) / config.workers);
    for (const store::Row& row : rows) {
      Claimed event = ClaimedFromRow(row);
      const DestinationConfig* destination = Find(event.destination);
      const Instant expires = now + waves * destination->timeout + kClaimMargin;
      CITYCODE_ASSIGN_OR_RETURN(
          std::int64_t taken,
          tx.Execute(kClaim, {Text(relay_id), Time(expires), Text(event.id), Time(now)}));
      if (taken == 1) claimed.push_back(std::move(event));
    }
    return OkStatus();
  });
  if (!status.ok()) return status;
  return claimed;
}

// One delivery's outcome, in the round's transaction.
Status Outbox::Impl::Record(store::Transaction& tx, const Claimed& event,
                            const Result<WebhookReply>& reply) {
  const DestinationConfig& destination = *Find(event.destination);
  const Instant now = clock.Now();
  if (reply.ok() && reply->status >= 200 && reply->status <= 299) {
    CITYCODE_ASSIGN_OR_RETURN(
        std::int64_t marked,
        tx.Execute(kMarkDelivered, {Time(now), Int(reply->status), Text(event.id)}));
    if (marked != 1) return OkStatus();  // delivered before (a lapsed claim)
    return tx
        .Execute(kAdvanceHead, {Int(event.sequence), Int(event.sequence + 1),
                                Text(event.destination), Text(event.stream), Int(event.sequence)})
        .status();
  }
  Value status = nullptr;
  std::string error = reply.ok() ? "HTTP " + std::to_string(reply->status)
                                 : reply.status().message().substr(0, 200);
  std::string state = "pending";
  Instant next = now;
  if (reply.ok()) status = Int(reply->status);
  if (reply.ok() && reply->status == 410) {
    error += " Gone: destination disabled";
    CITYCODE_RETURN_IF_ERROR(
        tx.Execute(kDisableDestination, {Text(destination.name), Time(now), Text(error)}).status());
  } else if (static_cast<std::size_t>(event.attempts + 1) >= destination.retry_schedule.size()) {
    state = "dead";
  } else {
    std::chrono::seconds wait =
        internal::WithJitter(destination.retry_schedule[event.attempts + 1], destination.jitter);
    if (reply.ok() && (reply->status == 429 || reply->status == 503)) {
      if (auto asked = internal::ParseRetryAfter(reply->retry_after, now)) wait = *asked;
    }
    next = now + wait;
  }
  return tx
      .Execute(kMarkFailed,
               {Text(state), Time(next), status, Text(error), Text(event.id), Text(relay_id)})
      .status();
}

Result<WebhookReply> Outbox::Impl::Deliver(const Claimed& event) {
  const DestinationConfig& destination = *Find(event.destination);
  WebhookRequest request{.destination = destination.name,
                         .url = destination.url,
                         .body = Body(event),
                         .timeout = destination.timeout};
  const std::int64_t timestamp = ToUnixSeconds(clock.Now());
  request.headers = {
      {"content-type", "application/json"},
      {"webhook-id", event.id},
      {"webhook-timestamp", std::to_string(timestamp)},
      {"webhook-signature", destination.signer.Sign(event.id, timestamp, request.body)}};
  const Result<WebhookReply> reply = transport->Post(request);
  const bool delivered = reply.ok() && reply->status >= 200 && reply->status <= 299;
  if (!delivered) {
    // The id, destination and answer only: the body may hold personal data.
    std::fprintf(stderr, "citycode: outbox: %s to %s (try %lld) failed: %s\n", event.id.c_str(),
                 destination.name.c_str(), static_cast<long long>(event.attempts + 1),
                 reply.ok() ? ("HTTP " + std::to_string(reply->status)).c_str()
                            : reply.status().message().c_str());
  }
  return reply;
}

Result<std::unique_ptr<Outbox>> Outbox::Open(store::Database& db, const Clock& clock,
                                             OutboxConfig config,
                                             std::unique_ptr<Transport> transport) {
  std::set<std::string, std::less<>> names;
  for (const auto& destination : config.destinations) {
    if (!names.insert(destination.name).second) {
      return InvalidArgument("outbox destination " + destination.name + " is configured twice");
    }
    if (destination.retry_schedule.empty()) {
      return InvalidArgument("outbox destination " + destination.name + " has no retry schedule");
    }
  }
  if (config.workers < 1 || config.workers > 64) {
    return InvalidArgument("outbox workers must be 1-64");
  }
  if (config.keep_delivered < std::chrono::days(1)) {
    return InvalidArgument("outbox keep_delivered must be at least a day");
  }
  CITYCODE_RETURN_IF_ERROR(db.Migrate(kMigrations));
  if (transport == nullptr) transport = MakeHttpTransport();
  auto impl = std::unique_ptr<Impl>(new Impl{
      .db = db, .clock = clock, .config = std::move(config), .transport = std::move(transport)});
  return std::unique_ptr<Outbox>(new Outbox(std::move(impl)));
}

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Outbox::~Outbox() { StopRelay(); }

bool Outbox::HasDestination(std::string_view name) const { return impl_->Find(name) != nullptr; }

Result<EnqueuedEvent> Outbox::Enqueue(store::Transaction& tx, const EventRequest& event) const {
  const std::string data = event.data.dump();
  CITYCODE_RETURN_IF_ERROR(CheckEvent(event, data));
  if (!HasDestination(event.destination)) {
    return NotFound("no outbox destination is configured by that name", "unknown_destination");
  }
  const Instant now = impl_->clock.Now();
  CITYCODE_ASSIGN_OR_RETURN(
      store::Row row, tx.QueryOne(kNextSequence, {Text(event.destination), Text(event.stream)}));
  EnqueuedEvent enqueued{.id = crypto::RandomId("msg"), .sequence = row.Int(0)};
  CITYCODE_RETURN_IF_ERROR(
      tx.Execute(kInsertEvent, {Text(enqueued.id), Text(event.destination), Text(event.stream),
                                Int(enqueued.sequence), Text(event.type), Text(data),
                                Time(event.occurred_at.value_or(now)), Time(now)})
          .status());
  return enqueued;
}

Result<RelayRound> Outbox::RunOnce() {
  CITYCODE_ASSIGN_OR_RETURN(std::vector<Claimed> claimed, impl_->Claim());
  RelayRound round{.claimed = claimed.size()};
  // `workers` threads take the claimed events (one per stream) in turn.
  std::vector<Result<WebhookReply>> replies(claimed.size(), Unavailable("not sent"));
  std::atomic<std::size_t> next = 0;
  const auto work = [&] {
    for (std::size_t i = next++; i < claimed.size(); i = next++) {
      replies[i] = impl_->Deliver(claimed[i]);
    }
  };
  std::vector<std::thread> threads;
  const std::size_t helpers = std::min(impl_->config.workers, claimed.size());
  for (std::size_t t = 1; t < helpers; ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  // Every outcome in one transaction; if it fails, the claims lapse and the
  // events are sent again: at least once.
  Status recorded = store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](store::Transaction& tx) -> Status {
        for (std::size_t i = 0; i < claimed.size(); ++i) {
          CITYCODE_RETURN_IF_ERROR(impl_->Record(tx, claimed[i], replies[i]));
        }
        return OkStatus();
      });
  if (!recorded.ok()) {
    std::fprintf(stderr, "citycode: outbox: recording a round of %zu failed: %s\n", claimed.size(),
                 recorded.ToString().c_str());
  }
  for (const Result<WebhookReply>& reply : replies) {
    const bool delivered = reply.ok() && reply->status >= 200 && reply->status <= 299;
    (delivered ? round.delivered : round.failed) += 1;
  }
  return round;
}

void Outbox::Impl::RelayLoop(Outbox& outbox) {
  std::unique_lock lock(mutex);
  while (!stopping) {
    lock.unlock();
    auto round = outbox.RunOnce();
    if (!round.ok()) {
      std::fprintf(stderr, "citycode: outbox relay round failed: %s\n",
                   round.status().ToString().c_str());
    }
    const bool busy = round.ok() && round->claimed > 0;
    lock.lock();
    if (!busy) wake.wait_for(lock, config.poll_interval, [&] { return stopping; });
  }
}

void Outbox::StartRelay() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->relay.joinable()) return;
  impl_->stopping = false;
  impl_->relay = std::thread([this] { impl_->RelayLoop(*this); });
}

void Outbox::StopRelay() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->relay.joinable()) return;
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->relay.join();
}

Result<std::vector<EventSummary>> Outbox::List(const EventFilter& filter) {
  if (filter.limit < 1 || filter.limit > 10000) {
    return InvalidArgument("an outbox listing's limit is 1-10000");
  }
  std::string sql = kListColumns;
  std::vector<Value> params;
  std::string where;
  const auto add = [&](std::string_view condition, Value value) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
    params.push_back(std::move(value));
  };
  if (filter.destination) add("destination = ?", Text(*filter.destination));
  if (filter.stream) add("stream = ?", Text(*filter.stream));
  if (filter.state) add("state = ?", Text(EventStateName(*filter.state)));
  sql += where + " ORDER BY occurred_at, destination, stream, sequence LIMIT ?";
  params.push_back(Int(static_cast<std::int64_t>(filter.limit)));
  std::vector<EventSummary> events;
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, params));
  for (const store::Row& row : rows) events.push_back(SummaryFromRow(row));
  return events;
}

Status Outbox::Retry(std::string_view event_id) {
  const Instant now = impl_->clock.Now();
  return store::RunInTransaction(
      impl_->db, store::TransactionMode::kWrite, [&](auto& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(auto row, tx.QueryOptional(kSelectState, {Text(event_id)}));
        if (!row) return NotFound("no outbox event has that id", "unknown_event");
        if (row->Text(0) == "delivered") {
          return FailedPrecondition("the event was delivered; replay sends it again",
                                    "already_delivered");
        }
        return tx.Execute(kRetry, {Time(now), Text(event_id)}).status();
      });
}

Result<std::size_t> Outbox::Replay(const ReplayRange& range) {
  std::string sql =
      "UPDATE outbox_events SET state = 'pending', attempts = 0, next_attempt_at = ?, "
      "claimed_by = NULL, claim_expires_at = NULL WHERE destination = ? "
      "AND state IN ('delivered', 'dead')";
  std::vector<Value> params = {Time(impl_->clock.Now()), Text(range.destination)};
  if (range.stream) {
    sql += " AND stream = ?";
    params.push_back(Text(*range.stream));
  }
  if (range.since) {
    sql += " AND occurred_at >= ?";
    params.push_back(Time(*range.since));
  }
  if (range.until) {
    sql += " AND occurred_at < ?";
    params.push_back(Time(*range.until));
  }
  std::int64_t changed = 0;
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(impl_->db, store::TransactionMode::kWrite, [&](auto& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(changed, tx.Execute(sql, params));
        return tx.Execute(kResetHeads, {Text(range.destination)}).status();
      }));
  return static_cast<std::size_t>(changed);
}

Result<std::int64_t> Outbox::PurgeDelivered() {
  const Instant before = impl_->clock.Now() - impl_->config.keep_delivered;
  return store::DeleteInBatches(impl_->db, kPurgeDelivered, {Time(before)}, kPurgeBatch);
}

Result<std::vector<DestinationState>> Outbox::Destinations() {
  std::map<std::string, DestinationState, std::less<>> states;
  for (const auto& destination : impl_->config.destinations) {
    states[destination.name] = {.name = destination.name, .configured = true};
  }
  CITYCODE_ASSIGN_OR_RETURN(auto tx, impl_->db.Begin(store::TransactionMode::kRead));
  CITYCODE_ASSIGN_OR_RETURN(auto counts, tx->Query(kDestinationCounts));
  for (const store::Row& row : counts) {
    DestinationState& state = states[row.Text(0)];
    state.name = row.Text(0);
    state.pending = row.Int(1);
    state.dead = row.Int(2);
  }
  CITYCODE_ASSIGN_OR_RETURN(auto disabled, tx->Query(kDisabledDestinations));
  for (const store::Row& row : disabled) {
    DestinationState& state = states[row.Text(0)];
    state.name = row.Text(0);
    if (auto at = row.OptionalInt(1)) state.disabled_at = FromUnixSeconds(*at);
    state.disabled_reason = row.OptionalText(2).value_or("");
  }
  std::vector<DestinationState> out;
  for (auto& [name, state] : states) out.push_back(std::move(state));
  return out;
}

Status Outbox::EnableDestination(std::string_view name) {
  std::int64_t changed = 0;
  CITYCODE_RETURN_IF_ERROR(
      store::RunInTransaction(impl_->db, store::TransactionMode::kWrite, [&](auto& tx) -> Status {
        CITYCODE_ASSIGN_OR_RETURN(changed, tx.Execute(kEnableDestination, {Text(name)}));
        return OkStatus();
      }));
  if (changed == 0 && !HasDestination(name)) {
    return NotFound("no outbox destination by that name", "unknown_destination");
  }
  return OkStatus();
}

}  // namespace citycode::outbox
