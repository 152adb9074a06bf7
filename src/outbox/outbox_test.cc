// The outbox on both backends, with a fake transport and a manual clock.
#include "outbox/outbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <set>
#include <thread>

#include "outbox/internal/fake_transport.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_databases.h"

namespace citycode::outbox {
namespace {

using ::citycode::testing::IsOk;
using ::citycode::testing::StatusIs;
using internal::FakeTransport;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::IsEmpty;

const Instant kStart = FromUnixSeconds(1'796'000'000);

DestinationConfig Destination(std::string name) {
  DestinationConfig destination{
      .name = std::move(name), .url = "http://127.0.0.1:9/hook", .jitter = 0};
  destination.signer.secrets.push_back(*ParseSecret(NewSecret()));
  return destination;
}

class OutboxTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    config_.destinations = {Destination("police"), Destination("tourism")};
    outbox_ = OpenOutbox(db(), transport_);
    ASSERT_THAT(store::RunInTransaction(
                    db(), store::TransactionMode::kWrite,
                    [](store::Transaction& tx) {
                      return tx.Execute("CREATE TABLE stays (id TEXT PRIMARY KEY)").status();
                    }),
                IsOk());
  }

  std::unique_ptr<Outbox> OpenOutbox(store::Database& database, FakeTransport& transport) {
    auto opened = Outbox::Open(database, clock_, config_, transport.Forwarder());
    EXPECT_THAT(opened, IsOk());
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  // Stores a stay and its event in one transaction.
  Result<EnqueuedEvent> CheckIn(std::string stay, std::string destination = "police",
                                std::string type = "hotel.guest.checked_in") {
    Result<EnqueuedEvent> enqueued = Internal("not run");
    Status status =
        store::RunInTransaction(db(), store::TransactionMode::kWrite, [&](store::Transaction& tx) {
          CITYCODE_RETURN_IF_ERROR(
              tx.Execute("INSERT INTO stays (id) VALUES (?) ON CONFLICT (id) DO NOTHING",
                         {store::Text(stay)})
                  .status());
          enqueued = outbox_->Enqueue(tx, {.destination = destination,
                                           .stream = stay,
                                           .type = type,
                                           .data = {{"room", "301"}}});
          return enqueued.status();
        });
    if (!status.ok()) return status;
    return enqueued;
  }

  EventSummary Event(const std::string& id) {
    auto events = outbox_->List({.limit = 10000});
    EXPECT_THAT(events, IsOk());
    for (const EventSummary& event : *events) {
      if (event.id == id) return event;
    }
    ADD_FAILURE() << "no event " << id;
    return {};
  }

  RelayRound Round() {
    auto round = outbox_->RunOnce();
    EXPECT_THAT(round, IsOk());
    return round.ok() ? *round : RelayRound{};
  }

  // The receiver refuses the connection for event `id` and takes the rest.
  void RefuseOnly(std::string id) {
    transport_.SetAnswer([id](const WebhookRequest& request) -> Result<WebhookReply> {
      if (request.body.find(id) != std::string::npos) return Unavailable("connection refused");
      return WebhookReply{.status = 200};
    });
  }

  // Rounds until one claims nothing (at most 100).
  void Drain() {
    for (int i = 0; i < 100 && Round().claimed > 0;) ++i;
  }

  ManualClock clock_{kStart};
  OutboxConfig config_;
  FakeTransport transport_;
  std::unique_ptr<Outbox> outbox_;
};

TEST_P(OutboxTest, AnEventCommitsWithTheBusinessRow) {
  auto first = CheckIn("stay_1");
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->sequence, 1);
  EXPECT_THAT(first->id, ::testing::MatchesRegex("msg_[0-9a-f]{32}"));
  const EventSummary event = Event(first->id);
  EXPECT_EQ(event.destination, "police");
  EXPECT_EQ(event.stream, "stay_1");
  EXPECT_EQ(event.state, EventState::kPending);
  EXPECT_EQ(event.attempts, 0);
  EXPECT_EQ(event.next_attempt_at, kStart);
}

TEST_P(OutboxTest, ARolledBackTransactionLeavesNoEvent) {
  {
    auto tx = db().Begin(store::TransactionMode::kWrite);
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT((*tx)->Execute("INSERT INTO stays (id) VALUES ('stay_1')"), IsOk());
    ASSERT_THAT(outbox_->Enqueue(**tx, {.destination = "police", .stream = "stay_1", .type = "t"}),
                IsOk());
    (*tx)->Rollback();
  }
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM stays"), 0);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM outbox_events"), 0);
  // The rolled-back sequence number is not used up either.
  auto next = CheckIn("stay_1");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->sequence, 1);
  EXPECT_EQ(Round().claimed, 1u);
  EXPECT_EQ(transport_.sent().size(), 1u);
}

TEST_P(OutboxTest, SequencesCountPerStreamAndDestination) {
  EXPECT_EQ(CheckIn("stay_1")->sequence, 1);
  EXPECT_EQ(CheckIn("stay_1")->sequence, 2);
  EXPECT_EQ(CheckIn("stay_2")->sequence, 1);
  EXPECT_EQ(CheckIn("stay_1", "tourism")->sequence, 1);
  EXPECT_EQ(CheckIn("stay_1")->sequence, 3);
}

TEST_P(OutboxTest, EnqueueRefusesBadEvents) {
  const auto enqueue = [&](EventRequest event) {
    auto tx = db().Begin(store::TransactionMode::kWrite);
    return outbox_->Enqueue(**tx, event);
  };
  const StatusCode bad = StatusCode::kInvalidArgument;
  EXPECT_THAT(enqueue({.destination = "police", .stream = "", .type = "t"}),
              StatusIs(bad, "bad_event"));
  EXPECT_THAT(enqueue({.destination = "police", .stream = "a b", .type = "t"}),
              StatusIs(bad, "bad_event"));
  EXPECT_THAT(enqueue({.destination = "police", .stream = std::string(201, 's'), .type = "t"}),
              StatusIs(bad, "bad_event"));
  EXPECT_THAT(enqueue({.destination = "police", .stream = "s", .type = "checked in"}),
              StatusIs(bad, "bad_event"));
  EXPECT_THAT(enqueue({.destination = "police", .stream = "s", .type = "t", .data = {1, 2}}),
              StatusIs(bad, "bad_event"));
  EXPECT_THAT(enqueue({.destination = "police",
                       .stream = "s",
                       .type = "t",
                       .data = {{"big", std::string(70000, 'x')}}}),
              StatusIs(bad, "bad_event"));
  EXPECT_THAT(enqueue({.destination = "fire-brigade", .stream = "s", .type = "t"}),
              StatusIs(StatusCode::kNotFound, "unknown_destination"));
}

TEST_P(OutboxTest, DeliversSignedBodiesInOrderPerStream) {
  std::vector<std::string> ids;
  for (const char* stay : {"stay_a", "stay_b", "stay_a", "stay_a", "stay_b"}) {
    ids.push_back(CheckIn(stay)->id);
  }
  // Round one: the head of each stream, never two of one stream.
  EXPECT_EQ(Round().claimed, 2u);
  EXPECT_EQ(Round().claimed, 2u);
  EXPECT_EQ(Round().claimed, 1u);
  EXPECT_EQ(Round().claimed, 0u);

  std::map<std::string, std::vector<std::int64_t>> sequences;
  for (const auto& sent : transport_.sent()) {
    sequences[sent.body["stream"]].push_back(sent.body["sequence"]);
    EXPECT_EQ(sent.body["type"], "hotel.guest.checked_in");
    EXPECT_EQ(sent.body["occurred_at"], FormatRfc3339(kStart));
    EXPECT_EQ(sent.body["data"], (nlohmann::json{{"room", "301"}}));
    EXPECT_EQ(sent.body["id"], sent.id);
    std::map<std::string, std::string> headers(sent.request.headers.begin(),
                                               sent.request.headers.end());
    WebhookVerifier verifier{.secrets = config_.destinations[0].signer.secrets};
    EXPECT_THAT(verifier.Verify(headers["webhook-id"], headers["webhook-timestamp"],
                                headers["webhook-signature"], sent.request.body, kStart),
                IsOk());
  }
  EXPECT_EQ(sequences["stay_a"], (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(sequences["stay_b"], (std::vector<std::int64_t>{1, 2}));
  for (const std::string& id : ids) {
    EXPECT_EQ(Event(id).state, EventState::kDelivered);
    EXPECT_EQ(Event(id).attempts, 1);
    EXPECT_EQ(Event(id).delivered_at, kStart);
  }
}

TEST_P(OutboxTest, DifferentStreamsAreSentAtOnce) {
  ASSERT_THAT(CheckIn("stay_a"), IsOk());
  ASSERT_THAT(CheckIn("stay_b"), IsOk());
  // Each send waits until the other has started too: only parallel sends
  // both get past the barrier (a serial relay would time out on the first).
  std::mutex mutex;
  std::condition_variable cv;
  int arrived = 0;
  bool together = true;
  transport_.SetAnswer([&](const WebhookRequest&) {
    std::unique_lock lock(mutex);
    ++arrived;
    cv.notify_all();
    if (!cv.wait_for(lock, seconds(10), [&] { return arrived == 2; })) together = false;
    return Result<WebhookReply>(WebhookReply{.status = 200});
  });
  EXPECT_EQ(Round().delivered, 2u);
  EXPECT_TRUE(together);
}

TEST_P(OutboxTest, FailuresFollowTheRetryScheduleThenDie) {
  const std::string id = CheckIn("stay_1")->id;
  transport_.AnswerStatus(500);
  const auto schedule = DefaultRetrySchedule();
  for (std::size_t attempt = 1; attempt < schedule.size(); ++attempt) {
    EXPECT_EQ(Round().claimed, 1u) << attempt;
    const EventSummary event = Event(id);
    EXPECT_EQ(event.attempts, static_cast<std::int64_t>(attempt));
    EXPECT_EQ(event.last_status, 500);
    EXPECT_EQ(event.last_error, "HTTP 500");
    EXPECT_EQ(event.next_attempt_at, clock_.Now() + schedule[attempt]);
    // Not a second early.
    clock_.Advance(schedule[attempt] - seconds(1));
    EXPECT_EQ(Round().claimed, 0u);
    clock_.Advance(seconds(1));
  }
  EXPECT_EQ(Round().claimed, 1u);  // the 8th and last try
  EXPECT_EQ(Event(id).state, EventState::kDead);
  EXPECT_EQ(Event(id).attempts, 8);
  clock_.Advance(hours(48));
  EXPECT_EQ(Round().claimed, 0u);
  EXPECT_EQ(transport_.sent().size(), 8u);
}

TEST_P(OutboxTest, AReceiverDownForSixHoursGetsEverythingInOrderWhenBack) {
  config_.destinations[0].jitter = 0.1;
  outbox_ = OpenOutbox(db(), transport_);
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    for (const char* stay : {"stay_a", "stay_b", "stay_c"}) ids.insert(CheckIn(stay)->id);
    clock_.Advance(minutes(20));  // check-ins keep coming while it is down
  }
  const Instant back = kStart + hours(6);
  struct Try {
    std::string stream;
    std::int64_t sequence;
    bool answered;
  };
  std::vector<Try> tries;  // sends are serial per stream; guarded for the parallel streams
  std::mutex tries_mutex;
  transport_.SetAnswer([&](const WebhookRequest& request) -> Result<WebhookReply> {
    const auto body = nlohmann::json::parse(request.body);
    const bool up = clock_.Now() >= back;
    std::lock_guard lock(tries_mutex);
    tries.push_back({body["stream"], body["sequence"], up});
    if (!up) return Unavailable("connection refused");
    return WebhookReply{.status = 204};
  });
  // A relay round every minute for 12 hours of the clock.
  for (int minute = 0; minute < 12 * 60; ++minute) {
    Drain();
    clock_.Advance(minutes(1));
  }
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM outbox_events WHERE state = 'dead'"), 0);
  for (const std::string& id : ids) {
    const EventSummary event = Event(id);
    EXPECT_EQ(event.state, EventState::kDelivered) << id;
    ASSERT_TRUE(event.delivered_at.has_value());
    EXPECT_GE(*event.delivered_at, back) << id;
    // First tried at 1 h; the tries fall 7 h 35 min 5 s later at most
    // 10 % (jitter) after that: the one past 6 h gets through by 9 h 30 min.
    EXPECT_LE(*event.delivered_at, kStart + hours(9) + minutes(30)) << id;
  }
  // Per stream: never a send past an undelivered event, and each event
  // answered once, in sequence order.
  std::map<std::string, std::int64_t> delivered_up_to;
  for (const Try& attempt : tries) {
    std::int64_t& done = delivered_up_to[attempt.stream];
    EXPECT_EQ(attempt.sequence, done + 1) << attempt.stream;
    if (attempt.answered) done = attempt.sequence;
  }
  EXPECT_EQ(delivered_up_to,
            (std::map<std::string, std::int64_t>{{"stay_a", 3}, {"stay_b", 3}, {"stay_c", 3}}));
}

TEST_P(OutboxTest, JitterLengthensTheWait) {
  config_.destinations[0].jitter = 0.5;
  outbox_ = OpenOutbox(db(), transport_);
  const std::string id = CheckIn("stay_1")->id;
  transport_.AnswerStatus(500);
  Round();
  clock_.Advance(seconds(8));      // 5 s + up to 2.5 s
  EXPECT_EQ(Round().claimed, 1u);  // the second try, now waiting 5 min + up to 2.5 min
  const Instant next = Event(id).next_attempt_at;
  EXPECT_GE(next, clock_.Now() + minutes(5));
  EXPECT_LE(next, clock_.Now() + minutes(5) + seconds(150));
}

TEST_P(OutboxTest, RetryAfterIsHonouredOn429And503) {
  const std::string id = CheckIn("stay_1")->id;
  transport_.AnswerStatus(429, "120");
  Round();
  EXPECT_EQ(Event(id).next_attempt_at, kStart + seconds(120));
  EXPECT_EQ(Event(id).last_status, 429);
  clock_.Advance(seconds(119));
  EXPECT_EQ(Round().claimed, 0u);
  clock_.Advance(seconds(1));
  // An HTTP-date 10 minutes ahead.
  const Instant at = clock_.Now() + minutes(10);
  const auto days = std::chrono::floor<std::chrono::days>(at);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss time{at - days};
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char http_date[40];
  std::snprintf(http_date, sizeof http_date, "%s, %02u %s %04d %02ld:%02ld:%02ld GMT",
                kDays[std::chrono::weekday(days).c_encoding()], unsigned(date.day()),
                kMonths[unsigned(date.month()) - 1], int(date.year()), long(time.hours().count()),
                long(time.minutes().count()), long(time.seconds().count()));
  transport_.AnswerStatus(503, http_date);
  EXPECT_EQ(Round().claimed, 1u);
  EXPECT_EQ(Event(id).next_attempt_at, at);
  // A 500's Retry-After is not asked for: the schedule decides.
  clock_.Set(at);
  transport_.AnswerStatus(500, "3600");
  Round();
  EXPECT_EQ(Event(id).next_attempt_at, at + DefaultRetrySchedule()[3]);
}

TEST_P(OutboxTest, GoneDisablesTheDestinationUntilEnabled) {
  const std::string police = CheckIn("stay_1")->id;
  const std::string later = CheckIn("stay_2")->id;
  transport_.AnswerStatus(410);
  EXPECT_EQ(Round().claimed, 2u);
  transport_.Answer204();
  auto destinations = outbox_->Destinations();
  ASSERT_THAT(destinations, IsOk());
  ASSERT_EQ(destinations->size(), 2u);
  EXPECT_EQ((*destinations)[0].name, "police");
  EXPECT_EQ((*destinations)[0].disabled_at, kStart);
  EXPECT_THAT((*destinations)[0].disabled_reason, ::testing::HasSubstr("410"));
  EXPECT_EQ((*destinations)[0].pending, 2);
  EXPECT_FALSE((*destinations)[1].disabled_at.has_value());
  EXPECT_EQ(Event(police).state, EventState::kPending);
  EXPECT_EQ(Event(police).last_status, 410);

  // Nothing more goes to it, however long; other destinations still get theirs.
  const std::string tourism = CheckIn("stay_1", "tourism")->id;
  clock_.Advance(hours(72));
  EXPECT_EQ(Round().claimed, 1u);
  EXPECT_EQ(Event(tourism).state, EventState::kDelivered);
  EXPECT_EQ(Event(police).state, EventState::kPending);

  ASSERT_THAT(outbox_->EnableDestination("police"), IsOk());
  Drain();
  EXPECT_EQ(Event(police).state, EventState::kDelivered);
  EXPECT_EQ(Event(later).state, EventState::kDelivered);
  EXPECT_THAT(outbox_->EnableDestination("nowhere"),
              StatusIs(StatusCode::kNotFound, "unknown_destination"));
}

TEST_P(OutboxTest, ADeadEventHoldsItsStreamUntilReplayed) {
  config_.destinations[0].retry_schedule = {seconds(0), seconds(10)};
  outbox_ = OpenOutbox(db(), transport_);
  const std::string first = CheckIn("stay_1")->id;
  const std::string second = CheckIn("stay_1")->id;
  const std::string other = CheckIn("stay_2")->id;
  RefuseOnly(first);
  Round();
  clock_.Advance(seconds(10));
  Round();
  EXPECT_EQ(Event(first).state, EventState::kDead);
  EXPECT_EQ(Event(first).attempts, 2);
  EXPECT_FALSE(Event(first).last_status.has_value());
  EXPECT_EQ(Event(first).last_error, "connection refused");
  EXPECT_EQ(Event(other).state, EventState::kDelivered);
  // The later event of the dead one's stream waits, however long.
  clock_.Advance(hours(100));
  EXPECT_EQ(Round().claimed, 0u);
  EXPECT_EQ(Event(second).state, EventState::kPending);
  EXPECT_EQ(Event(second).attempts, 0);

  transport_.Answer204();
  auto replayed = outbox_->Replay({.destination = "police", .stream = "stay_1"});
  ASSERT_THAT(replayed, IsOk());
  EXPECT_EQ(*replayed, 1u);  // the dead one; the waiting one was never sent
  Drain();
  EXPECT_EQ(Event(first).state, EventState::kDelivered);
  EXPECT_EQ(Event(second).state, EventState::kDelivered);
  const auto sent = transport_.sent();
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(sent[sent.size() - 2].id, first);
  EXPECT_EQ(sent.back().id, second);
}

TEST_P(OutboxTest, ReplaySendsADeliveredRangeAgainWithTheSameIds) {
  const std::string early = CheckIn("stay_1")->id;
  clock_.Advance(hours(1));
  const std::string late = CheckIn("stay_2")->id;
  Drain();
  ASSERT_EQ(transport_.sent().size(), 2u);
  auto replayed = outbox_->Replay({.destination = "police", .since = kStart + minutes(30)});
  ASSERT_THAT(replayed, IsOk());
  EXPECT_EQ(*replayed, 1u);
  EXPECT_EQ(Event(late).state, EventState::kPending);
  Drain();
  ASSERT_EQ(transport_.sent().size(), 3u);
  EXPECT_EQ(transport_.sent().back().id, late);
  EXPECT_EQ(*outbox_->Replay({.destination = "tourism"}), 0u);
}

TEST_P(OutboxTest, DeliveredEventsArePurgedAfterTheRetentionAndTheRestStay) {
  config_.keep_delivered = std::chrono::days(30);
  config_.destinations[0].retry_schedule = {seconds(0)};
  outbox_ = OpenOutbox(db(), transport_);
  const std::string old = CheckIn("stay_1")->id;
  const std::string dead = CheckIn("stay_2")->id;
  RefuseOnly(dead);
  Drain();
  clock_.Advance(std::chrono::days(20));
  const std::string recent = CheckIn("stay_3")->id;
  Drain();
  const std::string waiting = CheckIn("stay_4", "tourism")->id;  // never sent: its retry is later
  transport_.SetAnswer([](const WebhookRequest&) -> Result<WebhookReply> {
    return Unavailable("connection refused");
  });
  Round();

  // `old` was delivered 30 days and a second ago, `recent` 10 days ago.
  clock_.Advance(std::chrono::days(10) + seconds(1));
  auto purged = outbox_->PurgeDelivered();
  ASSERT_THAT(purged, IsOk());
  EXPECT_EQ(*purged, 1);
  std::set<std::string> left;
  auto events = outbox_->List({.limit = 10000});
  ASSERT_THAT(events, IsOk());
  for (const EventSummary& event : *events) left.insert(event.id);
  EXPECT_EQ(left, (std::set<std::string>{dead, recent, waiting}));
  EXPECT_EQ(Event(dead).state, EventState::kDead);
  EXPECT_EQ(Event(waiting).state, EventState::kPending);
  // The purged event's stream numbers on; a replay finds what is left.
  EXPECT_EQ(CheckIn("stay_1")->sequence, 2);
  EXPECT_EQ(*outbox_->Replay({.destination = "police", .stream = "stay_1"}), 0u);
  EXPECT_EQ(*outbox_->PurgeDelivered(), 0);
}

TEST_P(OutboxTest, PurgingManyDeliveredEventsTakesSeveralBatches) {
  config_.keep_delivered = std::chrono::days(1);
  outbox_ = OpenOutbox(db(), transport_);
  for (int i = 0; i < 1200; ++i) ASSERT_THAT(CheckIn("stay_" + std::to_string(i)), IsOk());
  Drain();
  clock_.Advance(std::chrono::days(2));
  auto purged = outbox_->PurgeDelivered();
  ASSERT_THAT(purged, IsOk());
  EXPECT_EQ(*purged, 1200);
  EXPECT_THAT(*outbox_->List({.limit = 10000}), IsEmpty());
}

TEST_P(OutboxTest, RetryMakesAnEventDueNow) {
  const std::string id = CheckIn("stay_1")->id;
  transport_.AnswerStatus(500);
  Round();
  EXPECT_EQ(Round().claimed, 0u);
  ASSERT_THAT(outbox_->Retry(id), IsOk());
  EXPECT_EQ(Event(id).next_attempt_at, kStart);
  transport_.Answer204();
  EXPECT_EQ(Round().delivered, 1u);
  EXPECT_EQ(Event(id).attempts, 2);
  EXPECT_THAT(outbox_->Retry(id), StatusIs(StatusCode::kFailedPrecondition, "already_delivered"));
  EXPECT_THAT(outbox_->Retry("msg_nothing"), StatusIs(StatusCode::kNotFound, "unknown_event"));
}

TEST_P(OutboxTest, RetryRevivesADeadEventWithAFreshSchedule) {
  config_.destinations[0].retry_schedule = {seconds(0)};
  outbox_ = OpenOutbox(db(), transport_);
  const std::string id = CheckIn("stay_1")->id;
  transport_.AnswerStatus(500);
  Round();
  ASSERT_EQ(Event(id).state, EventState::kDead);
  ASSERT_THAT(outbox_->Retry(id), IsOk());
  EXPECT_EQ(Event(id).state, EventState::kPending);
  EXPECT_EQ(Event(id).attempts, 0);
  transport_.Answer204();
  EXPECT_EQ(Round().delivered, 1u);
}

TEST_P(OutboxTest, AnExpiredClaimIsTakenOverAndTheStaleRelayChangesNothing) {
  auto second_db = store::Database::Open(url());
  ASSERT_THAT(second_db, IsOk());
  FakeTransport other_transport;
  auto other = OpenOutbox(**second_db, other_transport);
  const std::string id = CheckIn("stay_1")->id;
  std::size_t claimed_while_live = 99, claimed_after_expiry = 99;
  transport_.SetAnswer([&](const WebhookRequest&) -> Result<WebhookReply> {
    // While this relay waits for its answer, the other one looks.
    claimed_while_live = other->RunOnce()->claimed;
    clock_.Advance(config_.destinations[0].timeout + seconds(61));
    claimed_after_expiry = other->RunOnce()->claimed;
    return WebhookReply{.status = 500};
  });
  EXPECT_EQ(Round().claimed, 1u);
  EXPECT_EQ(claimed_while_live, 0u);
  EXPECT_EQ(claimed_after_expiry, 1u);
  // The other relay delivered it; the first one's late 500 is not recorded.
  EXPECT_EQ(Event(id).state, EventState::kDelivered);
  EXPECT_EQ(Event(id).attempts, 1);
  EXPECT_EQ(Event(id).last_status, 204);
  ASSERT_EQ(other_transport.sent().size(), 1u);
  EXPECT_EQ(other_transport.sent()[0].id, id);
}

TEST_P(OutboxTest, TwoRelaysDeliverEveryEventOnceAndNeverAtOnce) {
  auto second_db = store::Database::Open(url());
  ASSERT_THAT(second_db, IsOk());
  config_.workers = 3;
  outbox_ = OpenOutbox(db(), transport_);
  auto other = OpenOutbox(**second_db, transport_);  // one receiver, two relays
  constexpr int kStreams = 6, kPerStream = 5;
  std::set<std::string> ids;
  for (int i = 0; i < kPerStream; ++i) {
    for (int s = 0; s < kStreams; ++s) ids.insert(CheckIn("stay_" + std::to_string(s))->id);
  }
  transport_.SetAnswer([](const WebhookRequest&) {
    std::this_thread::yield();  // widen the window in which the other relay looks
    return Result<WebhookReply>(WebhookReply{.status = 200});
  });
  const auto relay = [&](Outbox& outbox) {
    for (int i = 0; i < 2000; ++i) {
      auto round = outbox.RunOnce();
      EXPECT_THAT(round, IsOk());
      if (!round.ok() ||
          QueryInt("SELECT COUNT(*) FROM outbox_events WHERE state = 'pending'") == 0)
        return;
    }
  };
  std::thread first([&] { relay(*outbox_); });
  std::thread second([&] { relay(*other); });
  first.join();
  second.join();

  EXPECT_EQ(transport_.overlaps(), 0);
  const auto sent = transport_.sent();
  EXPECT_EQ(sent.size(), ids.size());  // no lease expired, so no event twice
  std::map<std::string, std::int64_t> last_sequence;
  std::set<std::string> delivered;
  for (const auto& webhook : sent) {
    delivered.insert(webhook.id);
    std::int64_t& last = last_sequence[webhook.body["stream"]];
    EXPECT_EQ(webhook.body["sequence"].get<std::int64_t>(), last + 1);
    last = webhook.body["sequence"];
  }
  EXPECT_EQ(delivered, ids);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM outbox_events WHERE state = 'delivered'"),
            kStreams * kPerStream);
}

TEST_P(OutboxTest, ListsByStateAndDestinationWithoutData) {
  ASSERT_THAT(CheckIn("stay_1"), IsOk());
  ASSERT_THAT(CheckIn("stay_1", "tourism"), IsOk());
  transport_.AnswerStatus(500);
  Round();
  auto pending = outbox_->List({.destination = "police", .state = EventState::kPending});
  ASSERT_THAT(pending, IsOk());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].attempts, 1);
  EXPECT_EQ((*pending)[0].last_error, "HTTP 500");
  EXPECT_EQ(outbox_->List({.state = EventState::kDelivered})->size(), 0u);
  EXPECT_EQ(outbox_->List({.limit = 1})->size(), 1u);
  EXPECT_THAT(outbox_->List({.limit = 0}),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST_P(OutboxTest, TheBackgroundRelayDelivers) {
  config_.poll_interval = seconds(1);
  outbox_ = OpenOutbox(db(), transport_);
  ASSERT_THAT(CheckIn("stay_1"), IsOk());
  outbox_->StartRelay();
  outbox_->StartRelay();  // idempotent
  EXPECT_TRUE(transport_.WaitForSent(1, seconds(10)));
  outbox_->StopRelay();
  outbox_->StopRelay();
  EXPECT_EQ(transport_.sent().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxTest, ::testing::ValuesIn(testing::DatabaseBackends()),
                         testing::BackendTestName);

}  // namespace
}  // namespace citycode::outbox
