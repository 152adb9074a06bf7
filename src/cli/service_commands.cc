// citycode serve, admin, demo and terminal simulate: the commands that run
// or administer the platform service.
#include <signal.h>

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "api_client/http_client.h"
#include "api_client/simulator.h"
#include "cli/commands.h"
#include "code/presentation.h"
#include "common/files.h"
#include "crypto/random.h"
#include "demo/demo_city.h"
#include "outbox/receiver.h"
#include "outbox/signature.h"
#include "platform/platform.h"
#include "qr/qr.h"
#include "server/service.h"
#include "sms/gateway.h"

namespace citycode::cli {
namespace {

using nlohmann::json;

// SIGINT and SIGTERM are blocked in every thread (set before any starts) and
// taken by sigwait in the main thread, so a stop is an orderly return.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

void BlockStopSignals() {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal() {
  const sigset_t set = StopSignals();
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

// Options shared by serve and demo.
struct ServeArgs {
  CityArgs city;
  std::optional<std::string> listen, checkpoints;
  std::optional<int> threads;
};

void AddServeOptions(CLI::App* command, ServeArgs& args) {
  AddCityOptions(command, args.city);
  command->add_option("--listen", args.listen, "Address to listen on, host:port");
  command->add_option("--checkpoints", args.checkpoints,
                      "Audit checkpoint file (default: beside the keyring)");
  command->add_option("--threads", args.threads, "I/O threads")->check(CLI::Range(1, 256));
}

Result<server::ServiceConfig> MakeConfig(const ServeArgs& args) {
  server::ServiceConfig config;
  CITYCODE_ASSIGN_OR_RETURN(static_cast<city::CityConfig&>(config), MakeCityConfig(args.city));
  CITYCODE_RETURN_IF_ERROR(server::ReadServerConfig(config));
  if (args.listen) config.http.listen = *args.listen;
  if (args.checkpoints) config.vault.checkpoint_file = *args.checkpoints;
  if (args.threads) config.http.threads = *args.threads;
  return config;
}

std::string BaseUrl(const server::ServiceConfig& config, std::uint16_t port) {
  std::string host = config.http.listen.substr(0, config.http.listen.rfind(':'));
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  const bool tls = !config.http.tls_certificate.empty();
  return (tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

void AddServeCommand(CLI::App& app, Action& action) {
  CLI::App* serve = app.add_subcommand("serve", "Run the platform service (HTTP API)");
  auto args = std::make_shared<ServeArgs>();
  AddServeOptions(serve, *args);
  serve->callback([args, &action] {
    action = [args] {
      auto config = MakeConfig(*args);
      if (!config.ok()) return Fail(config.status());
      BlockStopSignals();
      SystemClock clock;
      auto service = server::Service::Start(*config, clock);
      if (!service.ok()) return Fail(service.status());
      // One write, so a reader of stderr never sees half the line.
      std::cerr << ("citycode: serving " + BaseUrl(*config, (*service)->port()) + " on " +
                    store::RedactUrl(config->database_url) + " with " +
                    std::to_string(config->http.threads) + " threads\n");
      WaitForStopSignal();
      std::cerr << "citycode: stopping\n";
      (*service)->Stop();
      return kExitOk;
    };
  });
}

// --- admin -----------------------------------------------------------------

struct AdminArgs {
  CityArgs city;
  std::string name, kind, org, site, terminal, channel, id;
};

// Runs `work` on the platform of the admin command's city.
template <typename Work>
int WithPlatform(const AdminArgs& args, Work&& work) {
  auto config = MakeCityConfig(args.city);
  if (!config.ok()) return Fail(config.status());
  SystemClock clock;
  // Like serve: a new deployment may start with the admin command.
  auto city = city::City::Open(*config, clock);
  if (!city.ok()) return Fail(city.status());
  Result<json> result = work((*city)->platform());
  if (!result.ok()) return Fail(result.status());
  std::cout << result->dump() << "\n";
  return kExitOk;
}

json KeyJson(const platform::NewApiKey& key) {
  return {{"key_id", key.key_id}, {"api_key", key.token}};
}

void AddAdminCommands(CLI::App& app, Action& action) {
  CLI::App* admin = app.add_subcommand("admin", "Administer organisations, sites, terminals, keys");
  admin->require_subcommand(1);
  auto args = std::make_shared<AdminArgs>();
  AddCityOptions(admin, args->city);

  const auto command = [&](CLI::App* parent, const char* name, const char* help,
                           std::function<Result<json>(platform::Platform&, const AdminArgs&)> run) {
    CLI::App* sub = parent->add_subcommand(name, help);
    sub->callback([args, run, &action] {
      action = [args, run] {
        return WithPlatform(*args, [&](platform::Platform& p) { return run(p, *args); });
      };
    });
    return sub;
  };

  CLI::App* org = admin->add_subcommand("org", "Organisations");
  org->require_subcommand(1);
  auto* org_create = command(
      org, "create", "Register an organisation", [](auto& p, const auto& a) -> Result<json> {
        CITYCODE_ASSIGN_OR_RETURN(auto kind, platform::OrgKindFromName(a.kind));
        CITYCODE_ASSIGN_OR_RETURN(auto created, p.organisations().Create(a.name, kind));
        return json{{"id", created.id}, {"name", created.name}, {"kind", a.kind}};
      });
  org_create->add_option("--name", args->name, "Name")->required();
  org_create
      ->add_option("--kind", args->kind,
                   "service_hall, transit_operator, hospital, hotel, access_site, issuing_agency")
      ->required();
  command(org, "list", "List organisations", [](auto& p, const auto&) -> Result<json> {
    CITYCODE_ASSIGN_OR_RETURN(auto orgs, p.organisations().List());
    json out = json::array();
    for (const auto& o : orgs) {
      out.push_back({{"id", o.id},
                     {"name", o.name},
                     {"kind", platform::OrgKindName(o.kind)},
                     {"demo", o.demo}});
    }
    return out;
  });

  CLI::App* site = admin->add_subcommand("site", "Sites");
  site->require_subcommand(1);
  auto* site_create =
      command(site, "create", "Add a site", [](auto& p, const auto& a) -> Result<json> {
        CITYCODE_ASSIGN_OR_RETURN(auto created, p.organisations().CreateSite(a.org, a.name));
        return json{{"id", created.id}, {"org_id", created.org_id}, {"name", created.name}};
      });
  site_create->add_option("--org", args->org, "Organisation id")->required();
  site_create->add_option("--name", args->name, "Name")->required();

  CLI::App* terminal = admin->add_subcommand("terminal", "Terminals");
  terminal->require_subcommand(1);
  auto* terminal_create =
      command(terminal, "create", "Register a terminal (prints its API key once)",
              [](auto& p, const auto& a) -> Result<json> {
                CITYCODE_ASSIGN_OR_RETURN(auto created,
                                          p.access_keys().CreateTerminal(a.org, a.site, a.name));
                json out = KeyJson(created.second);
                out["id"] = created.first.id;
                out["scene"] = code::SceneName(created.first.scene);
                return out;
              });
  terminal_create->add_option("--org", args->org, "Organisation id")->required();
  terminal_create->add_option("--site", args->site, "Site id")->required();
  terminal_create->add_option("--name", args->name, "Name")->required();
  auto* rotate = command(terminal, "rotate-key", "A new API key; the old one stops at once",
                         [](auto& p, const auto& a) -> Result<json> {
                           CITYCODE_ASSIGN_OR_RETURN(
                               auto key, p.access_keys().RotateTerminalKey(a.org, a.terminal));
                           return KeyJson(key);
                         });
  rotate->add_option("--org", args->org, "Organisation id")->required();
  rotate->add_option("--terminal", args->terminal, "Terminal id")->required();
  auto* disable = command(
      terminal, "disable", "Disable a terminal", [](auto& p, const auto& a) -> Result<json> {
        CITYCODE_RETURN_IF_ERROR(p.access_keys().DisableTerminal(a.org, a.terminal));
        return json{{"terminal_id", a.terminal}, {"active", false}};
      });
  disable->add_option("--org", args->org, "Organisation id")->required();
  disable->add_option("--terminal", args->terminal, "Terminal id")->required();

  CLI::App* key =
      admin->add_subcommand("key", "API keys of admins, organisation admins and channels");
  key->require_subcommand(1);
  auto* admin_key =
      command(key, "admin", "A platform admin key", [](auto& p, const auto& a) -> Result<json> {
        CITYCODE_ASSIGN_OR_RETURN(auto created, p.access_keys().CreateAdminKey(a.name));
        return KeyJson(created);
      });
  admin_key->add_option("--name", args->name, "Whose key")->required();
  auto* org_key = command(
      key, "org-admin", "An organisation admin key", [](auto& p, const auto& a) -> Result<json> {
        CITYCODE_ASSIGN_OR_RETURN(auto created, p.access_keys().CreateOrgAdminKey(a.org, a.name));
        return KeyJson(created);
      });
  org_key->add_option("--org", args->org, "Organisation id")->required();
  org_key->add_option("--name", args->name, "Whose key")->required();
  auto* channel_key = command(
      key, "channel", "An issuing channel's key", [](auto& p, const auto& a) -> Result<json> {
        CITYCODE_ASSIGN_OR_RETURN(auto channel, code::ChannelFromName(a.channel));
        CITYCODE_ASSIGN_OR_RETURN(auto created, p.access_keys().CreateChannelKey(channel, a.name));
        return KeyJson(created);
      });
  channel_key->add_option("--channel", args->channel, "app, wechat or alipay")->required();
  channel_key->add_option("--name", args->name, "Whose key")->required();
  auto* revoke =
      command(key, "revoke", "Revoke an API key", [](auto& p, const auto& a) -> Result<json> {
        CITYCODE_RETURN_IF_ERROR(p.access_keys().RevokeApiKey(a.id));
        return json{{"key_id", a.id}, {"revoked", true}};
      });
  revoke->add_option("--id", args->id, "Key id")->required();

  CLI::App* master = admin->add_subcommand(
      "master-key", "Keyring master keys: rotate the file, restart the servers, then rewrap");
  master->require_subcommand(1);
  master->add_subcommand("rotate", "Add a new current master key to the keyring file")
      ->callback([args, &action] {
        action = [args] {
          auto config = MakeCityConfig(args->city);
          if (!config.ok()) return Fail(config.status());
          auto keyring = platform::Keyring::Load(config->keyring_file);
          if (!keyring.ok()) return Fail(keyring.status());
          const std::string id = keyring->RotateMasterKey();
          if (Status saved = keyring->Save(config->keyring_file); !saved.ok()) return Fail(saved);
          std::cout << json{{"current_master_key", id}}.dump() << "\n";
          return kExitOk;
        };
      });
  command(master, "rewrap", "Re-wrap every sealed value's data key with the current master key",
          [](auto& p, const auto&) -> Result<json> {
            CITYCODE_ASSIGN_OR_RETURN(auto changed, p.RewrapSealedData());
            return json{{"rewrapped", changed}};
          });

  CLI::App* signing = admin->add_subcommand("signing-key", "Credential signing keys");
  signing->require_subcommand(1);
  const auto key_info = [](const platform::SigningKeyInfo& k) {
    return json{{"key_id", k.key_id},
                {"not_before", FormatRfc3339(k.not_before)},
                {"not_after", FormatRfc3339(k.not_after)},
                {"signing_now", k.signing_now}};
  };
  command(signing, "rotate", "Add a signing key (trusted now, signs after the lead time)",
          [key_info](auto& p, const auto&) -> Result<json> {
            CITYCODE_ASSIGN_OR_RETURN(auto info, p.signing_keys().Rotate());
            return key_info(info);
          });
  command(signing, "list", "List signing keys", [key_info](auto& p, const auto&) -> Result<json> {
    CITYCODE_ASSIGN_OR_RETURN(auto keys, p.signing_keys().List());
    json out = json::array();
    for (const auto& k : keys) out.push_back(key_info(k));
    return out;
  });
}

// --- demo ------------------------------------------------------------------

struct DemoArgs {
  ServeArgs serve;
  std::string dir = "demo-city";
  std::string feed;  // empty: the config's, else the demo city's feed in the source tree
  bool once = false;
  // Start the server's clock here and let the admin move it (browser tests).
  std::optional<std::string> manual_clock;
};

// The wall clock, or a manual one starting at `start` ("now" or RFC 3339).
Result<std::unique_ptr<Clock>> DemoClock(const std::optional<std::string>& start,
                                         ManualClock** manual) {
  *manual = nullptr;
  if (!start) return std::unique_ptr<Clock>(std::make_unique<SystemClock>());
  Instant at = SystemClock().Now();
  if (*start != "now") {
    CITYCODE_ASSIGN_OR_RETURN(at, ParseRfc3339(*start));
  }
  auto clock = std::make_unique<ManualClock>(at);
  *manual = clock.get();
  return std::unique_ptr<Clock>(std::move(clock));
}

// Prints a fresh code of the demo phone and has the demo gate verify it
// online, as a terminal would.
Status ShowLiveCode(const demo::DemoCity& city, const std::string& base_url, std::uint64_t counter,
                    const Clock& clock) {
  CITYCODE_ASSIGN_OR_RETURN(std::string credential, ReadFile(city.credential_file, 4096));
  CITYCODE_ASSIGN_OR_RETURN(std::string key_pem, ReadFile(city.device_key_file, 64 * 1024));
  CITYCODE_ASSIGN_OR_RETURN(auto device, crypto::PrivateKey::FromPem(key_pem));
  CITYCODE_ASSIGN_OR_RETURN(
      Bytes presentation,
      code::MakePresentation(
          {.credential = ToBytes(credential), .made_at = clock.Now(), .counter = counter}, device));
  const std::string text = code::ToQrText(presentation);
  CITYCODE_ASSIGN_OR_RETURN(auto qr, qr::QrCode::Encode(text));
  std::cout << qr.ToTerminal() << "Live code #" << counter << " (" << text.size()
            << " characters): " << text << "\n";
  for (const auto& t : city.terminals) {
    if (t.scene == "transit") {
      CITYCODE_ASSIGN_OR_RETURN(auto client, api_client::HttpClient::Create(base_url));
      CITYCODE_ASSIGN_OR_RETURN(auto reply,
                                client->Send("POST", "/v1/verify", json{{"code", text}}.dump(),
                                             {{"Authorization", "Bearer " + t.api_key}}));
      std::cout << "The " << t.org_name << " " << t.site_name << " gate says: " << reply.body
                << "\n";
      return OkStatus();
    }
  }
  return OkStatus();
}

// The demo's police and tourism systems: receivers on loopback that verify
// each signature, de-duplicate and keep what the hotels report, in
// DIR/police.jsonl and DIR/tourism.jsonl (0600). None when the
// configuration names destinations of its own.
using DemoReceivers = std::vector<std::pair<std::string, std::unique_ptr<outbox::Receiver>>>;
Result<DemoReceivers> StartDemoReceivers(const std::string& dir, server::ServiceConfig& config,
                                         const Clock& clock) {
  DemoReceivers receivers;
  if (!config.outbox.destinations.empty()) return receivers;
  CITYCODE_ASSIGN_OR_RETURN(Bytes secret, outbox::ParseSecret(outbox::NewSecret()));
  for (const std::string name : {"police", "tourism"}) {
    const std::string file = dir + "/" + name + ".jsonl";
    CITYCODE_ASSIGN_OR_RETURN(
        auto receiver,
        outbox::Receiver::Start({.verifier = {.secrets = {secret}}, .store_file = file}, clock));
    config.outbox.destinations.push_back(
        {.name = name,
         .url = "http://127.0.0.1:" + std::to_string(receiver->port()) + "/" + name,
         .signer = {.secrets = {secret}}});
    receivers.emplace_back(file, std::move(receiver));
  }
  return receivers;
}

void AddDemoCommand(CLI::App& app, Action& action) {
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Run the service with the demo city seeded (its own database in --dir)");
  auto args = std::make_shared<DemoArgs>();
  AddServeOptions(demo_cmd, args->serve);
  demo_cmd->add_option("--dir", args->dir, "Demo data directory")->capture_default_str();
  demo_cmd->add_flag("--once", args->once, "Show one code and exit");
  demo_cmd->add_option("--manual-clock", args->manual_clock,
                       "Run on a clock that starts here (\"now\" or RFC 3339) and moves only "
                       "when the admin says (POST /v1/demo/clock); for browser tests");
  demo_cmd->add_option("--feed", args->feed,
                       "Transit feed folder (default: the demo city's, " CITYCODE_DEMO_FEED_DIR
                       ")");
  demo_cmd->callback([args, &action] {
    action = [args] {
      if (Status made = CreatePrivateDirectory(args->dir); !made.ok()) return Fail(made);
      ServeArgs serve = args->serve;
      if (!serve.city.db) serve.city.db = "sqlite:" + args->dir + "/citycode-demo.db";
      if (!serve.city.keyring) serve.city.keyring = args->dir + "/keyring.json";
      auto config = MakeConfig(serve);
      if (!config.ok()) return Fail(config.status());
      config->platform.demo = true;
      // The demo city's feed is compiled in as a source path: finding it
      // relative to the binary breaks as soon as the binary moves.
      ConfigTable& transit = config->scenes["transit"];
      if (!args->feed.empty()) {
        transit["feed_dir"] = args->feed;
      } else if (!transit.contains("feed_dir")) {
        transit["feed_dir"] = std::string(CITYCODE_DEMO_FEED_DIR);
      }
      // The demo city's own identity provider verifies its citizens.
      auto loaded_provider = demo::LoadOrCreateIdentityProvider(args->dir);
      if (!loaded_provider.ok()) return Fail(loaded_provider.status());
      std::shared_ptr<const oidc::TestIdentityProvider> identity_provider =
          std::move(*loaded_provider);
      config->platform.identity_provider = demo::IdentityProviderConfig(*identity_provider);
      // The demo's pages verify their citizens through it too.
      config->api.demo.identity_provider = identity_provider;
      // Texts to phones wait in the demo's inbox (POST /v1/demo/texts).
      config->platform.sms = std::make_shared<sms::Inbox>();
      auto clock_or = DemoClock(args->manual_clock, &config->api.demo.clock);
      if (!clock_or.ok()) return Fail(clock_or.status());
      const Clock& clock = **clock_or;
      auto receivers = StartDemoReceivers(args->dir, *config, clock);
      if (!receivers.ok()) return Fail(receivers.status());
      BlockStopSignals();
      auto service = server::Service::Start(*config, clock);
      if (!service.ok()) return Fail(service.status());
      auto city = demo::SeedOrLoadDemoCity((*service)->platform(), (*service)->vault(),
                                           (*service)->city().scenes(), *identity_provider,
                                           (*service)->database(), args->dir, clock);
      if (!city.ok()) return Fail(city.status());
      const std::string base = BaseUrl(*config, (*service)->port());
      const auto& citizen = city->citizens.front();
      std::cout << "citycode demo city (Jimo) is running on "
                << store::RedactUrl(config->database_url) << "\n\n"
                << "  Citizen page " << base << "/  log in with phone " << citizen.phone
                << ", password " << citizen.password
                << ", or register (the page shows the demo phone's texts)\n"
                << "  Counter page " << base
                << "/counter  sign in with a terminal key below, then as staff "
                << demo::kDemoStaffLogin << ", password " << demo::kDemoPassword << "\n"
                << "  Org page     " << base
                << "/org  sign in with an organisation's key below (Org key)\n"
                << "  Ops page     " << base << "/ops  sign in with the admin key\n"
                << "  API          " << base << "/v1/openapi.json  (routes under /v1)\n"
                << "  FHIR R4      " << base
                << "/fhir/r4/metadata  (hospital systems, with a hospital terminal's key)\n"
                << "  Health       " << base << "/healthz  " << base << "/readyz  " << base
                << "/metrics\n"
                << "  Admin key    " << city->admin_key << "\n"
                << "  App channel  " << city->app_channel_key << "  (X-Channel-Key)\n"
                << "  Texts        POST " << base
                << "/v1/demo/texts {\"phone\": …}: codes sent to phones\n";
      for (const auto& [file, receiver] : *receivers) {
        std::cout << "  Hotel feed   " << file << "  (what the hotels report, as received)\n";
      }
      for (const auto& t : city->terminals) {
        std::cout << "  Terminal     " << t.org_name << " " << t.name << " (" << t.scene
                  << "): " << t.api_key << "\n";
      }
      for (const auto& a : city->org_admins) {
        std::cout << "  Org key      " << a.org_name << ": " << a.api_key << "\n";
      }
      for (const auto& note : city->notes) {
        std::cout << "  " << std::left << std::setw(13) << note.label << note.text << "\n";
      }
      std::cout << "  All keys     " << args->dir << "/demo.json\n\n";
      for (std::uint64_t counter = 1;; ++counter) {
        if (Status shown = ShowLiveCode(*city, base, counter, clock); !shown.ok())
          return Fail(shown);
        if (args->once) break;
        std::cout << "A new code every 30 s. Ctrl-C stops the demo.\n" << std::flush;
        // Wait 30 s or for a stop signal, whichever comes first.
        const sigset_t set = StopSignals();
        const timespec wait{.tv_sec = 30, .tv_nsec = 0};
        if (sigtimedwait(&set, nullptr, &wait) > 0) break;
      }
      (*service)->Stop();
      return kExitOk;
    };
  });
}

// --- terminal simulate -----------------------------------------------------

void AddTerminalCommands(CLI::App& app, Action& action) {
  CLI::App* terminal_cmd = app.add_subcommand("terminal", "Terminal tools");
  terminal_cmd->require_subcommand(1);
  CLI::App* simulate = terminal_cmd->add_subcommand(
      "simulate", "Register riders, make their codes and verify them online or offline");
  auto options = std::make_shared<api_client::SimulationOptions>();
  auto alg = std::make_shared<std::string>("ed25519");
  auto citizens = std::make_shared<std::optional<int>>();
  simulate->add_option("--server", options->server_url, "http://host:port")->required();
  simulate->add_option("--key", options->terminal_key, "The terminal's API key")->required();
  simulate->add_option("--channel-key", options->channel_key, "An issuing channel's API key")
      ->required();
  simulate
      ->add_option("--admin-key", options->admin_key,
                   "An admin key of a demo server: it reads the riders' one-time codes from "
                   "the demo's inbox")
      ->required();
  simulate->add_option("--codes", options->codes, "Codes to verify")
      ->check(CLI::Range(0, 10'000'000))
      ->capture_default_str();
  simulate->add_option("--citizens", *citizens, "Riders to register (default: codes, at most 50)")
      ->check(CLI::Range(1, 100'000));
  simulate->add_flag("--offline", options->offline, "Verify with downloaded lists, not online");
  simulate->add_option("--alg", *alg, "Phone key algorithm: ed25519, es256 or sm2")
      ->capture_default_str();
  simulate->callback([options, alg, citizens, &action] {
    action = [options, alg, citizens] {
      auto algorithm = crypto::AlgorithmFromCliName(*alg);
      if (!algorithm.ok()) return Fail(algorithm.status());
      options->algorithm = *algorithm;
      options->citizens = citizens->value_or(std::clamp(options->codes, 1, 50));
      const auto seed = crypto::RandomArray<4>();
      options->seed = (std::uint32_t{seed[0]} << 24) | (std::uint32_t{seed[1]} << 16) |
                      (std::uint32_t{seed[2]} << 8) | seed[3];
      SystemClock clock;
      auto summary = api_client::Simulate(*options, clock);
      if (!summary.ok()) return Fail(summary.status());
      const double seconds = std::chrono::duration<double>(summary->verify_time).count();
      json out = {{"mode", options->offline ? "offline" : "online"},
                  {"scene", summary->scene},
                  {"citizens", options->citizens},
                  {"codes", summary->codes},
                  {"valid", summary->valid},
                  {"refused", summary->refused},
                  {"codes_per_second", seconds > 0 ? summary->codes / seconds : 0.0},
                  {"p50_ms", std::chrono::duration<double, std::milli>(summary->p50).count()},
                  {"p99_ms", std::chrono::duration<double, std::milli>(summary->p99).count()}};
      if (options->offline) {
        out["trust_list_version"] = summary->trust_list_version;
        out["revocation_list_version"] = summary->revocation_list_version;
      }
      std::cout << out.dump() << "\n";
      return summary->valid == summary->codes ? kExitOk : kExitRefused;
    };
  });
}

}  // namespace

void AddServiceCommands(CLI::App& app, Action& action) {
  AddServeCommand(app, action);
  AddAdminCommands(app, action);
  AddDemoCommand(app, action);
  AddTerminalCommands(app, action);
}

}  // namespace citycode::cli
