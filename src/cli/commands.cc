#include "cli/commands.h"

#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "code/presentation.h"
#include "code/replay_cache.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/files.h"
#include "crypto/key.h"
#include "file_issuer/issuer_dir.h"
#include "qr/qr.h"
#include "qr/qr_reader.h"

namespace citycode::cli {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;
constexpr std::size_t kMaxCredentialFileBytes = 4096;
constexpr std::size_t kMaxImageBytes = 16 * 1024 * 1024;
// --at: 1970 to the end of year 9999, the range CWT times are read in, so
// that no time arithmetic can overflow.
const CLI::Range kUnixTimeRange(std::int64_t{0}, std::int64_t{253402300799});

// Prefixes a status message with the file it concerns, unless it names it.
Status AboutFile(const Status& status, const std::string& path) {
  if (status.ok() || status.message().find(path) != std::string::npos) return status;
  return Status(status.code(), path + ": " + status.message());
}

// The instant commands act at: --at UNIX, else the system clock.
std::unique_ptr<Clock> MakeClock(const std::optional<std::int64_t>& at) {
  if (at) return std::make_unique<ManualClock>(FromUnixSeconds(*at));
  return std::make_unique<SystemClock>();
}

Result<crypto::PrivateKey> ReadPrivateKey(const std::string& path) {
  auto pem = ReadFile(path, kMaxKeyFileBytes);
  if (!pem.ok()) return AboutFile(pem.status(), path);
  auto key = crypto::PrivateKey::FromPem(*pem);
  if (!key.ok()) return AboutFile(key.status(), path);
  return key;
}

// A public key PEM, or a private key PEM whose public half is used.
Result<crypto::PublicKey> ReadPublicKey(const std::string& path) {
  auto pem = ReadFile(path, kMaxKeyFileBytes);
  if (!pem.ok()) return AboutFile(pem.status(), path);
  if (pem->find("PRIVATE KEY-----") != std::string::npos) {
    auto key = crypto::PrivateKey::FromPem(*pem);
    if (!key.ok()) return AboutFile(key.status(), path);
    return key->public_key();
  }
  auto key = crypto::PublicKey::FromPem(*pem);
  if (!key.ok()) return AboutFile(key.status(), path);
  return key;
}

Status WriteOutput(const std::string& path, std::string_view content, unsigned mode = 0644) {
  return AboutFile(WriteFileAtomic(path, content, mode), path);
}

nlohmann::json ResultJson(const code::VerificationResult& result) {
  nlohmann::json out = {{"valid", result.valid}, {"reason", code::ReasonName(result.reason)}};
  if (!result.scenes.empty()) {  // the credential was decoded
    out["sub"] = ToHex(result.subject);
    out["cti"] = ToHex(result.credential_id);
    nlohmann::json scenes = nlohmann::json::array();
    for (code::Scene scene : result.scenes) scenes.push_back(code::SceneName(scene));
    out["scenes"] = std::move(scenes);
    out["channel"] = code::ChannelName(result.channel);
    if (result.rider_category)
      out["rider_category"] = code::RiderCategoryName(*result.rider_category);
  }
  if (result.made_at != Instant{}) {
    out["t"] = ToUnixSeconds(result.made_at);
    out["n"] = result.counter;
  }
  if (!result.warnings.empty()) {
    nlohmann::json warnings = nlohmann::json::array();
    for (code::Warning warning : result.warnings) warnings.push_back(code::WarningName(warning));
    out["warnings"] = std::move(warnings);
  }
  return out;
}

}  // namespace

void AddCityOptions(CLI::App* command, CityArgs& args) {
  command->add_option("--config", args.config, "citycode.toml (see docs/CONFIG.md), as for serve");
  command->add_option("--db", args.db, "Database URL: sqlite:PATH or postgresql://...");
  command->add_option("--keyring", args.keyring, "Keyring file");
}

Result<city::CityConfig> MakeCityConfig(const CityArgs& args) {
  city::CityConfig config;
  config.vault.checkpoint_file.reset();  // to tell whether the configuration names one
  if (args.config) CITYCODE_RETURN_IF_ERROR(city::LoadConfigFile(*args.config, config));
  if (args.db) config.database_url = *args.db;
  if (args.keyring) config.keyring_file = *args.keyring;
  // Unless the configuration names it, the audit checkpoints are kept
  // beside the keyring (not in the working directory), so a deployment's
  // files stay together.
  if (!config.vault.checkpoint_file) {
    config.vault.checkpoint_file =
        config.keyring_file.parent_path() / "citycode.audit-checkpoints.jsonl";
  }
  return config;
}

void AddIssuerCommands(CLI::App& app, Action& action) {
  CLI::App* issuer = app.add_subcommand("issuer", "Platform issuer keys and signed lists");
  issuer->require_subcommand(1);
  CLI::App* init = issuer->add_subcommand(
      "init", "Make the root key, a signing key, trust.json and an empty revoked.json");
  struct Args {
    std::string dir, alg = "ed25519", id = "citycode:jimo";
  };
  auto args = std::make_shared<Args>();
  init->add_option("--dir", args->dir, "Directory to create the issuer in")->required();
  init->add_option("--alg", args->alg, "ed25519, es256 or sm2")->capture_default_str();
  init->add_option("--id", args->id, "Issuer id, the credentials' iss")->capture_default_str();
  init->callback([args, &action] {
    action = [args] {
      auto alg = crypto::AlgorithmFromCliName(args->alg);
      if (!alg.ok()) return Fail(alg.status());
      SystemClock clock;
      auto created = file_issuer::IssuerDir::Init(
          args->dir, file_issuer::IssuerOptions{.algorithm = *alg, .issuer_id = args->id}, clock);
      if (!created.ok()) return Fail(created.status());
      std::cout << nlohmann::json{{"dir", args->dir},
                                  {"issuer", args->id},
                                  {"alg", args->alg},
                                  {"root_kid", ToHex(created->root_public_key().key_id())}}
                << "\n";
      return kExitOk;
    };
  });
}

void AddDeviceCommands(CLI::App& app, Action& action) {
  CLI::App* device = app.add_subcommand("device", "Device (phone) keys");
  device->require_subcommand(1);
  CLI::App* init = device->add_subcommand("init", "Make a device key pair (private PEM, 0600)");
  struct Args {
    std::string out, alg = "ed25519";
  };
  auto args = std::make_shared<Args>();
  init->add_option("--out", args->out, "Private key file to write")->required();
  init->add_option("--alg", args->alg, "ed25519, es256 or sm2")->capture_default_str();
  init->callback([args, &action] {
    action = [args] {
      auto alg = crypto::AlgorithmFromCliName(args->alg);
      if (!alg.ok()) return Fail(alg.status());
      auto key = crypto::PrivateKey::Generate(*alg);
      if (!key.ok()) return Fail(key.status());
      if (Status s = WriteOutput(args->out, key->ToPem(), 0600); !s.ok()) return Fail(s);
      return kExitOk;
    };
  });
}

void AddCredentialCommands(CLI::App& app, Action& action) {
  CLI::App* credential = app.add_subcommand("credential", "Credentials for devices");
  credential->require_subcommand(1);
  CLI::App* issue = credential->add_subcommand("issue", "Issue a credential to a device key");
  struct Args {
    std::string issuer, device_pub, scenes, channel = "app", ttl = "24h", out;
    std::optional<std::string> rider;
  };
  auto args = std::make_shared<Args>();
  issue->add_option("--issuer", args->issuer, "Issuer directory (from issuer init)")->required();
  issue
      ->add_option("--device-pub", args->device_pub,
                   "Device public key PEM (or its private key: the public half is used)")
      ->required();
  issue->add_option("--scenes", args->scenes, "Comma-separated: gov,transit,medical,hotel,access")
      ->required();
  issue->add_option("--channel", args->channel, "app, wechat, alipay or card")
      ->capture_default_str();
  issue->add_option("--ttl", args->ttl, "Lifetime: 30m, 24h, 7d ...")->capture_default_str();
  issue->add_option("--rider", args->rider, "Rider category: adult, senior, student, disabled");
  issue->add_option("--out", args->out, "Credential file to write (CBOR)")->required();
  issue->callback([args, &action] {
    action = [args] {
      auto scenes = code::ParseSceneList(args->scenes);
      if (!scenes.ok()) return Fail(scenes.status());
      auto channel = code::ChannelFromName(args->channel);
      if (!channel.ok()) return Fail(channel.status());
      auto ttl = ParseDuration(args->ttl);
      if (!ttl.ok()) return Fail(InvalidArgument("--ttl: " + ttl.status().message()));
      std::optional<code::RiderCategory> rider;
      if (args->rider) {
        auto parsed = code::RiderCategoryFromName(*args->rider);
        if (!parsed.ok()) return Fail(parsed.status());
        rider = *parsed;
      }
      auto device_key = ReadPublicKey(args->device_pub);
      if (!device_key.ok()) return Fail(device_key.status());
      SystemClock clock;
      auto dir = file_issuer::IssuerDir::Open(args->issuer, clock);
      if (!dir.ok()) return Fail(dir.status());
      auto issued = dir->Issue({.device_key = *device_key,
                                .scenes = *scenes,
                                .channel = *channel,
                                .rider_category = rider,
                                .lifetime = *ttl});
      if (!issued.ok()) return Fail(issued.status());
      if (Status s = WriteOutput(args->out, AsChars(issued->bytes)); !s.ok()) return Fail(s);
      std::cout << nlohmann::json{{"cti", ToHex(issued->claims.id)},
                                  {"expires_at", FormatRfc3339(issued->claims.expires_at)}}
                << "\n";
      return kExitOk;
    };
  });
}

void AddCodeCommands(CLI::App& app, Action& action) {
  CLI::App* code_cmd = app.add_subcommand("code", "Dynamic codes: make and verify");
  code_cmd->require_subcommand(1);

  CLI::App* make = code_cmd->add_subcommand("make", "Make a code (prints the CC1: text)");
  struct MakeArgs {
    std::string credential, device_key;
    std::optional<std::int64_t> at;
    std::uint64_t counter = 0;
    std::optional<std::string> scene_hint, png, svg;
    bool terminal = false;
  };
  auto make_args = std::make_shared<MakeArgs>();
  make->add_option("--credential", make_args->credential, "Credential file (CBOR)")->required();
  make->add_option("--device-key", make_args->device_key, "Device private key PEM")->required();
  make->add_option("--at", make_args->at, "Unix time to stamp (default: now)")
      ->check(kUnixTimeRange);
  make->add_option("--counter", make_args->counter, "Presentation counter n")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  make->add_option("--scene-hint", make_args->scene_hint, "Scene hint");
  make->add_option("--png", make_args->png, "Also write the QR as PNG");
  make->add_option("--svg", make_args->svg, "Also write the QR as SVG");
  make->add_flag("--terminal", make_args->terminal, "Also draw the QR on stderr");
  make->callback([make_args, &action] {
    action = [args = make_args] {
      auto credential_bytes = ReadFile(args->credential, kMaxCredentialFileBytes);
      if (!credential_bytes.ok())
        return Fail(AboutFile(credential_bytes.status(), args->credential));
      auto credential = code::ParseCredential(AsBytes(*credential_bytes));
      if (!credential.ok()) return Fail(AboutFile(credential.status(), args->credential));
      auto device_key = ReadPrivateKey(args->device_key);
      if (!device_key.ok()) return Fail(device_key.status());
      if (!credential->claims.device_key ||
          !(*credential->claims.device_key == device_key->public_key())) {
        return Fail(InvalidArgument(args->device_key + " is not the key of " + args->credential));
      }
      code::PresentationFields fields{.credential = ToBytes(*credential_bytes),
                                      .made_at = MakeClock(args->at)->Now(),
                                      .counter = args->counter};
      if (args->scene_hint) {
        auto scene = code::SceneFromName(*args->scene_hint);
        if (!scene.ok()) return Fail(scene.status());
        fields.scene_hint = *scene;
      }
      auto presentation = code::MakePresentation(fields, *device_key);
      if (!presentation.ok()) return Fail(presentation.status());
      const std::string text = code::ToQrText(*presentation);
      if (args->png || args->svg || args->terminal) {
        auto qr = qr::QrCode::Encode(text);
        if (!qr.ok()) return Fail(qr.status());
        if (args->png) {
          auto png = qr->ToPng();
          if (!png.ok()) return Fail(png.status());
          if (Status s = WriteOutput(*args->png, AsChars(*png)); !s.ok()) return Fail(s);
        }
        if (args->svg) {
          auto svg = qr->ToSvg();
          if (!svg.ok()) return Fail(svg.status());
          if (Status s = WriteOutput(*args->svg, *svg); !s.ok()) return Fail(s);
        }
        // stderr, so that stdout stays the bare text scripts read.
        if (args->terminal) std::cerr << qr->ToTerminal();
      }
      std::cout << text << "\n";
      return kExitOk;
    };
  });

  CLI::App* verify = code_cmd->add_subcommand(
      "verify", "Verify a code offline; prints one JSON object; exit 0 valid, 1 refused");
  struct VerifyArgs {
    std::string trust;
    std::optional<std::string> root, revoked, scene, replay_db, image, text;
    std::optional<std::int64_t> at;
    int window = 60;
  };
  auto verify_args = std::make_shared<VerifyArgs>();
  verify->add_option("--trust", verify_args->trust, "Trust list (JWS)")->required();
  verify->add_option("--root", verify_args->root,
                     "Root public key PEM (default: root.pem beside the trust list)");
  verify->add_option("--revoked", verify_args->revoked, "Revocation list (JWS)");
  verify->add_option("--scene", verify_args->scene, "Scene of this terminal");
  verify->add_option("--at", verify_args->at, "Unix time to verify at (default: now)")
      ->check(kUnixTimeRange);
  verify->add_option("--window", verify_args->window, "Freshness window in seconds")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  verify->add_option("--replay-db", verify_args->replay_db,
                     "File remembering accepted codes, to refuse replays");
  auto* image = verify->add_option("--image", verify_args->image, "Read the code from a PNG");
  auto* text = verify->add_option("text", verify_args->text, "The CC1: text");
  image->excludes(text);
  text->excludes(image);
  verify->callback([verify_args, &action] {
    action = [args = verify_args] {
      std::string code_text;
      if (args->image) {
        auto png = ReadFile(*args->image, kMaxImageBytes);
        if (!png.ok()) return Fail(AboutFile(png.status(), *args->image));
        auto decoded = qr::ReadQrFromPng(AsBytes(*png));
        if (!decoded.ok()) return Fail(AboutFile(decoded.status(), *args->image));
        code_text = *std::move(decoded);
      } else if (args->text) {
        code_text = *args->text;
      } else {
        return Fail(InvalidArgument("give the code text or --image PNG"));
      }
      auto trust_jws = ReadFile(args->trust, code::kMaxListBytes);
      if (!trust_jws.ok()) return Fail(AboutFile(trust_jws.status(), args->trust));
      const std::string root_path = args->root.value_or(
          (std::filesystem::path(args->trust).parent_path() / "root.pem").string());
      auto root = ReadPublicKey(root_path);
      if (!root.ok()) return Fail(root.status());
      auto trust = code::VerifyTrustList(*trust_jws, *root);
      if (!trust.ok()) return Fail(AboutFile(trust.status(), args->trust));
      code::RevocationList revoked;
      if (args->revoked) {
        auto revoked_jws = ReadFile(*args->revoked, code::kMaxListBytes);
        if (!revoked_jws.ok()) return Fail(AboutFile(revoked_jws.status(), *args->revoked));
        auto list = code::VerifyRevocationList(*revoked_jws, *root);
        if (!list.ok()) return Fail(AboutFile(list.status(), *args->revoked));
        revoked = *std::move(list);
      } else {
        // No list given: nothing is revoked, and the empty list never
        // expires, so no stale warning is made up.
        revoked.expires_at = Instant::max();
      }
      std::optional<code::Scene> scene;
      if (args->scene) {
        auto parsed = code::SceneFromName(*args->scene);
        if (!parsed.ok()) return Fail(parsed.status());
        scene = *parsed;
      }
      const auto clock = MakeClock(args->at);
      const code::VerifierOptions options{.window = std::chrono::seconds(args->window)};
      code::Verifier verifier(*clock, *std::move(trust), std::move(revoked), options);
      std::optional<code::ReplayJournal> journal;
      if (args->replay_db) {
        auto opened = code::ReplayJournal::Open(*args->replay_db, options.replay_cache_capacity,
                                                options.window + options.max_future, clock->Now());
        if (!opened.ok()) return Fail(AboutFile(opened.status(), *args->replay_db));
        journal.emplace(*std::move(opened));
        verifier.UseReplayJournal(&*journal);
      }
      const code::VerificationResult result = verifier.Verify(code_text, scene);
      std::cout << ResultJson(result) << "\n";
      if (result.reason == code::Reason::kReplayCheckFailed) {
        std::cerr << "citycode: cannot record the code in " << *args->replay_db << "\n";
      }
      return result.valid ? kExitOk : kExitRefused;
    };
  });
}

void AddRevokeCommand(CLI::App& app, Action& action) {
  CLI::App* revoke = app.add_subcommand("revoke", "Revoke a credential (re-signs revoked.json)");
  struct Args {
    std::string issuer, cti;
  };
  auto args = std::make_shared<Args>();
  revoke->add_option("--issuer", args->issuer, "Issuer directory")->required();
  revoke->add_option("--cti", args->cti, "Credential id, 32 hex digits")->required();
  revoke->callback([args, &action] {
    action = [args] {
      auto cti_bytes = FromHex(args->cti);
      if (!cti_bytes.ok() || cti_bytes->size() != code::kCredentialIdSize) {
        return Fail(InvalidArgument("--cti must be 32 hex digits"));
      }
      code::CredentialId cti;
      std::copy(cti_bytes->begin(), cti_bytes->end(), cti.begin());
      SystemClock clock;
      auto dir = file_issuer::IssuerDir::Open(args->issuer, clock);
      if (!dir.ok()) return Fail(dir.status());
      if (Status s = dir->Revoke(cti); !s.ok()) return Fail(s);
      std::cout << nlohmann::json{{"version", dir->revocation_list().version},
                                  {"entries", dir->revocation_list().entries.size()}}
                << "\n";
      return kExitOk;
    };
  });
}

}  // namespace citycode::cli
