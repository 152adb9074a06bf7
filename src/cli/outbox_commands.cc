// citycode outbox …: what the relay has (list, destinations), making events
// due again (retry, replay, enable), new keys, and a test/demo receiver.
// Listings show ids, streams, types, states, attempts and last errors,
// never an event's data (it may hold personal data).
#include <signal.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "outbox/outbox.h"
#include "outbox/receiver.h"

namespace citycode::cli {
namespace {

using nlohmann::json;

std::string OptionalTime(const std::optional<Instant>& at) {
  return at ? FormatRfc3339(*at) : std::string();
}

// Opens the existing city of `args` and runs `work` on its outbox.
template <typename Work>
int WithOutbox(const CityArgs& args, Work&& work) {
  auto config = MakeCityConfig(args);
  if (!config.ok()) return Fail(config.status());
  SystemClock clock;
  auto city = city::City::Open(*config, clock, {.create_database = false, .create_keyring = false});
  if (!city.ok()) return Fail(city.status());
  return work((*city)->outbox());
}

struct ListArgs {
  CityArgs city;
  std::optional<std::string> destination, stream, state;
  std::size_t limit = 100;
};

int RunList(const ListArgs& args) {
  outbox::EventFilter filter{
      .destination = args.destination, .stream = args.stream, .limit = args.limit};
  if (args.state) {
    auto state = outbox::EventStateFromName(*args.state);
    if (!state.ok()) return Fail(state.status());
    filter.state = *state;
  }
  return WithOutbox(args.city, [&](outbox::Outbox& outbox) {
    auto events = outbox.List(filter);
    if (!events.ok()) return Fail(events.status());
    for (const outbox::EventSummary& event : *events) {
      json line = {{"id", event.id},
                   {"destination", event.destination},
                   {"stream", event.stream},
                   {"sequence", event.sequence},
                   {"type", event.type},
                   {"state", outbox::EventStateName(event.state)},
                   {"attempts", event.attempts},
                   {"occurred_at", FormatRfc3339(event.occurred_at)},
                   {"next_attempt_at", FormatRfc3339(event.next_attempt_at)},
                   {"delivered_at", OptionalTime(event.delivered_at)},
                   {"last_error", event.last_error}};
      if (event.last_status) line["last_status"] = *event.last_status;
      std::cout << line.dump() << "\n";
    }
    return kExitOk;
  });
}

int RunDestinations(const CityArgs& args) {
  return WithOutbox(args, [&](outbox::Outbox& outbox) {
    auto destinations = outbox.Destinations();
    if (!destinations.ok()) return Fail(destinations.status());
    for (const outbox::DestinationState& destination : *destinations) {
      std::cout << json{{"name", destination.name},
                        {"configured", destination.configured},
                        {"disabled_at", OptionalTime(destination.disabled_at)},
                        {"disabled_reason", destination.disabled_reason},
                        {"pending", destination.pending},
                        {"dead", destination.dead}}
                       .dump()
                << "\n";
    }
    return kExitOk;
  });
}

struct ReplayArgs {
  CityArgs city;
  std::string destination;
  std::optional<std::string> stream, since, until;
};

int RunReplay(const ReplayArgs& args) {
  outbox::ReplayRange range{.destination = args.destination, .stream = args.stream};
  for (auto [text, out] : {std::pair{&args.since, &range.since}, {&args.until, &range.until}}) {
    if (!*text) continue;
    auto at = ParseRfc3339(**text);
    if (!at.ok()) return Fail(InvalidArgument("--since and --until are RFC 3339 times"));
    *out = *at;
  }
  return WithOutbox(args.city, [&](outbox::Outbox& outbox) {
    auto replayed = outbox.Replay(range);
    if (!replayed.ok()) return Fail(replayed.status());
    std::cout << json{{"replayed", *replayed}}.dump() << "\n";
    return kExitOk;
  });
}

struct ReceiverArgs {
  std::string listen, store;
  std::vector<std::string> secrets, public_keys;
  std::string fault = "none", retry_after = "5";
  int fault_count = -1, stall_seconds = 30, tolerance_seconds = 300;
};

Result<outbox::ReceiverOptions> MakeReceiverOptions(const ReceiverArgs& args) {
  outbox::ReceiverOptions options{.listen = args.listen, .store_file = args.store};
  for (const std::string& secret : args.secrets) {
    CITYCODE_ASSIGN_OR_RETURN(options.verifier.secrets.emplace_back(), outbox::ParseSecret(secret));
  }
  for (const std::string& key : args.public_keys) {
    CITYCODE_ASSIGN_OR_RETURN(crypto::PublicKey parsed, outbox::ParsePublicKey(key));
    options.verifier.public_keys.push_back(std::move(parsed));
  }
  options.verifier.tolerance = std::chrono::seconds(args.tolerance_seconds);
  CITYCODE_ASSIGN_OR_RETURN(options.fault.fault, outbox::ReceiverFaultFromName(args.fault));
  options.fault.count = args.fault_count;
  options.fault.retry_after = args.retry_after;
  options.fault.stall = std::chrono::seconds(args.stall_seconds);
  return options;
}

// Serves until SIGINT or SIGTERM.
int RunReceiver(const ReceiverArgs& args) {
  auto options = MakeReceiverOptions(args);
  if (!options.ok()) return Fail(options.status());
  // Blocked before the receiver's threads start, so they inherit the mask
  // and only sigwait below takes the signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  SystemClock clock;
  auto receiver = outbox::Receiver::Start(std::move(*options), clock);
  if (!receiver.ok()) return Fail(receiver.status());
  std::cout << json{{"listening", (*receiver)->port()}}.dump() << std::endl;
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*receiver)->Stop();
  return kExitOk;
}

void AddReceiverCommand(CLI::App* outbox_cmd, Action& action) {
  auto args = std::make_shared<ReceiverArgs>();
  CLI::App* receiver = outbox_cmd->add_subcommand(
      "receiver",
      "A test/demo webhook receiver: verifies signatures and the timestamp, de-duplicates by "
      "webhook-id, appends to --store (JSON lines, 0600); POST /control "
      "{\"fault\":\"500\",\"count\":1} changes its behaviour");
  receiver->add_option("--listen", args->listen, "HOST:PORT (port 0: any free one)")->required();
  receiver->add_option("--secret", args->secrets, "whsec_… (repeat during a rotation)");
  receiver->add_option("--public-key", args->public_keys, "whpk_… (repeat during a rotation)");
  receiver->add_option("--store", args->store, "File the received messages are appended to")
      ->required();
  receiver->add_option("--fault", args->fault, "none, drop, 500, 429, 410 or stall")
      ->capture_default_str();
  receiver
      ->add_option("--fault-count", args->fault_count, "Webhooks the fault applies to (-1: all)")
      ->check(CLI::Range(-1, 1'000'000))
      ->capture_default_str();
  receiver->add_option("--retry-after", args->retry_after, "Retry-After sent with 429")
      ->capture_default_str();
  receiver->add_option("--stall-seconds", args->stall_seconds, "How long a stall lasts")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  receiver
      ->add_option("--tolerance-seconds", args->tolerance_seconds,
                   "Allowed webhook-timestamp drift")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  receiver->callback([args, &action] { action = [args] { return RunReceiver(*args); }; });
}

}  // namespace

void AddOutboxCommands(CLI::App& app, Action& action) {
  CLI::App* outbox_cmd =
      app.add_subcommand("outbox", "Outbound webhooks: events, destinations, a test receiver");
  outbox_cmd->require_subcommand(1);

  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list = outbox_cmd->add_subcommand(
      "list", "Events as JSON lines, oldest first (ids, states, errors; never their data)");
  AddCityOptions(list, list_args->city);
  list->add_option("--destination", list_args->destination, "Only this destination");
  list->add_option("--stream", list_args->stream, "Only this stream");
  list->add_option("--state", list_args->state, "pending, delivered or dead");
  list->add_option("--limit", list_args->limit, "At most this many")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  list->callback([list_args, &action] { action = [list_args] { return RunList(*list_args); }; });

  auto destinations_args = std::make_shared<CityArgs>();
  CLI::App* destinations = outbox_cmd->add_subcommand(
      "destinations", "Each destination: configured, disabled (by a 410), pending and dead counts");
  AddCityOptions(destinations, *destinations_args);
  destinations->callback([destinations_args, &action] {
    action = [destinations_args] { return RunDestinations(*destinations_args); };
  });

  auto retry_args = std::make_shared<std::pair<CityArgs, std::string>>();
  CLI::App* retry = outbox_cmd->add_subcommand(
      "retry", "Make a failed or dead event due now (a dead one gets a fresh schedule)");
  AddCityOptions(retry, retry_args->first);
  retry->add_option("event", retry_args->second, "The event id (msg_…)")->required();
  retry->callback([retry_args, &action] {
    action = [retry_args] {
      return WithOutbox(retry_args->first, [&](outbox::Outbox& outbox) {
        const Status status = outbox.Retry(retry_args->second);
        return status.ok() ? kExitOk : Fail(status);
      });
    };
  });

  auto replay_args = std::make_shared<ReplayArgs>();
  CLI::App* replay = outbox_cmd->add_subcommand(
      "replay", "Send a destination's delivered and dead events again, with their own ids");
  AddCityOptions(replay, replay_args->city);
  replay->add_option("--destination", replay_args->destination, "The destination")->required();
  replay->add_option("--stream", replay_args->stream, "Only this stream");
  replay->add_option("--since", replay_args->since, "Events that occurred at or after (RFC 3339)");
  replay->add_option("--until", replay_args->until, "Events that occurred before (RFC 3339)");
  replay->callback(
      [replay_args, &action] { action = [replay_args] { return RunReplay(*replay_args); }; });

  auto enable_args = std::make_shared<std::pair<CityArgs, std::string>>();
  CLI::App* enable =
      outbox_cmd->add_subcommand("enable", "Deliver to a destination a 410 Gone disabled again");
  AddCityOptions(enable, enable_args->first);
  enable->add_option("destination", enable_args->second, "The destination")->required();
  enable->callback([enable_args, &action] {
    action = [enable_args] {
      return WithOutbox(enable_args->first, [&](outbox::Outbox& outbox) {
        const Status status = outbox.EnableDestination(enable_args->second);
        return status.ok() ? kExitOk : Fail(status);
      });
    };
  });

  CLI::App* keys = outbox_cmd->add_subcommand(
      "keys", "New keys: a whsec_ secret, a whsk_ signing key and its whpk_ public key");
  keys->callback([&action] {
    action = [] {
      const std::string signing_key = outbox::NewSigningKey();
      auto key = outbox::ParseSigningKey(signing_key);
      if (!key.ok()) return Fail(key.status());
      std::cout << json{{"secret", outbox::NewSecret()},
                        {"signing_key", signing_key},
                        {"public_key", outbox::FormatPublicKey(key->public_key())}}
                       .dump()
                << "\n";
      return kExitOk;
    };
  });

  AddReceiverCommand(outbox_cmd, action);
}

}  // namespace citycode::cli
