// citycode vault … and citycode audit …: bulk loads into the e-certificate
// vault, issuer administration, and checking the audit log.
#include <unistd.h>

#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api_client/simulator.h"
#include "cli/commands.h"
#include "common/files.h"
#include "crypto/key.h"
#include "platform/platform.h"
#include "vault/certificate_id.h"
#include "vault/sample_certificates.h"
#include "vault/vault.h"

namespace citycode::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxLineBytes = 16 * 1024;

struct VaultArgs {
  CityArgs city;
  std::optional<std::string> checkpoints;  // default: beside the keyring; "": none
  std::optional<std::string> hash;         // default: the configuration's (sha256)
};

Result<vault::AuditHash> ParseHash(std::string_view name) {
  if (name == "sha256") return vault::AuditHash::kSha256;
  if (name == "sm3") return vault::AuditHash::kSm3;
  return InvalidArgument("--hash must be sha256 or sm3");
}

// The city's configuration with the vault command's overrides.
Result<city::CityConfig> MakeVaultConfig(const VaultArgs& args) {
  CITYCODE_ASSIGN_OR_RETURN(city::CityConfig config, MakeCityConfig(args.city));
  if (args.hash) {
    CITYCODE_ASSIGN_OR_RETURN(config.vault.audit_hash, ParseHash(*args.hash));
  }
  if (args.checkpoints) {
    config.vault.checkpoint_file = args.checkpoints->empty()
                                       ? std::nullopt
                                       : std::optional<std::filesystem::path>(*args.checkpoints);
  }
  return config;
}

// A database the command only reads must hold a vault already: a mistyped
// --db must not verify as an empty, intact log.
Status CheckHoldsVault(const std::string& url) {
  CITYCODE_ASSIGN_OR_RETURN(auto db, store::Database::Open(url));
  CITYCODE_ASSIGN_OR_RETURN(int version, db->SchemaVersion());
  if (version < 1000) return InvalidArgument("no vault audit log in this database");
  return OkStatus();
}

// Opens the city of the command's configuration and runs `work` on it.
// `create`: a command that writes; the database and keyring are made if
// missing, and an audit checkpoint is written after it. Without it, a
// database or keyring that is not there is an error.
template <typename Work>
int WithVault(const VaultArgs& args, bool create, Work&& work) {
  auto config = MakeVaultConfig(args);
  if (!config.ok()) return Fail(config.status());
  const std::string& url = config->database_url;
  if (!create && url.starts_with("sqlite:") && !std::filesystem::exists(url.substr(7))) {
    return Fail(InvalidArgument("no database at " + url.substr(7)));
  }
  if (!create) {
    if (Status holds = CheckHoldsVault(url); !holds.ok()) return Fail(holds);
  }
  SystemClock clock;
  auto city =
      city::City::Open(*config, clock, {.create_database = create, .create_keyring = create});
  if (!city.ok()) return Fail(city.status());
  vault::Vault& opened = (*city)->vault();
  const int exit_code = work((*city)->database(), (*city)->platform(), opened);
  if (create) {
    // What the command wrote is covered by a checkpoint at once, as a
    // server's clean stop does.
    if (auto checkpoint = opened.Checkpoint(); !checkpoint.ok()) return Fail(checkpoint.status());
  }
  return exit_code;
}

void AddVaultOptions(CLI::App* command, VaultArgs& args) {
  AddCityOptions(command, args.city);
  command->add_option("--checkpoints", args.checkpoints,
                      "Audit checkpoint file (default: beside the keyring, as serve; \"\": none)");
  command->add_option("--hash", args.hash, "Audit hash: sha256 or sm3 (default: sha256)");
}

// Progress on stderr: a redrawn line on a terminal, a line per tenth of the
// file otherwise (logs).
class Progress {
 public:
  explicit Progress(std::uintmax_t total_bytes)
      : total_(std::max<std::uintmax_t>(total_bytes, 1)), tty_(isatty(STDERR_FILENO) != 0) {}

  void Update(std::uintmax_t bytes, std::int64_t lines) {
    const int percent = static_cast<int>(100 * std::min(bytes, total_) / total_);
    if (!tty_ && percent / 10 == last_tenth_) return;
    last_tenth_ = percent / 10;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    char line[160];
    std::snprintf(line, sizeof line, "%simport: %3d%%  %lld lines  %.0f lines/s%s",
                  tty_ ? "\r" : "", percent, static_cast<long long>(lines),
                  seconds > 0 ? lines / seconds : 0.0, tty_ ? "" : "\n");
    std::cerr << line << std::flush;
  }
  void Finish() { std::cerr << Interrupt(); }
  // Ends a redrawn line before other output.
  std::string Interrupt() const { return tty_ && last_tenth_ >= 0 ? "\n" : ""; }

 private:
  const std::uintmax_t total_;
  const bool tty_;
  int last_tenth_ = -1;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct ImportArgs {
  VaultArgs vault;
  std::string file;
  int batch = 50'000;
  int threads = 2;
};

int RunImport(const ImportArgs& args) {
  if (std::filesystem::is_directory(args.file)) {
    return Fail(InvalidArgument(args.file + " is a directory"));
  }
  std::ifstream in(args.file, std::ios::binary);
  if (!in) return Fail(InvalidArgument("cannot open " + args.file));
  std::error_code size_error;
  const std::uintmax_t size = std::filesystem::file_size(args.file, size_error);
  return WithVault(args.vault, true, [&](store::Database&, platform::Platform&, vault::Vault& v) {
    Progress progress(size_error ? 1 : size);
    std::int64_t line_number = 0, blank_lines = 0, imported = 0, unchanged = 0, refused_lines = 0,
                 refused_batches = 0, bad_lines = 0;
    std::uintmax_t bytes = 0;
    // While one batch is stored, the next is read: reading is cheap, so one
    // batch ahead is enough.
    auto read_batch = [&]() {
      std::vector<vault::ImportLine> lines;
      std::string text;
      while (static_cast<int>(lines.size()) < args.batch && std::getline(in, text)) {
        ++line_number;
        bytes += text.size() + 1;
        if (text.empty()) {
          ++blank_lines;
          continue;
        }
        if (text.size() > kMaxLineBytes) text = "{\"line_too_long\": true}";  // refused below
        lines.push_back({.line_number = line_number, .text = std::move(text)});
      }
      return lines;
    };
    // Batch k+1 is checked (the signatures: the slow part) while batch k is
    // written, so both cores stay busy.
    auto prepare = [&](std::vector<vault::ImportLine> lines) {
      return std::async(std::launch::async, [&v, &args, lines = std::move(lines)]() mutable {
        return v.PrepareImport(std::move(lines), args.threads);
      });
    };
    std::future<Result<std::shared_ptr<const vault::PreparedImport>>> preparing;
    if (auto first = read_batch(); !first.empty()) preparing = prepare(std::move(first));
    while (preparing.valid()) {
      auto prepared = preparing.get();
      if (!prepared.ok()) {
        progress.Finish();
        return Fail(prepared.status());
      }
      if (auto next = read_batch(); !next.empty()) preparing = prepare(std::move(next));
      auto result = v.StoreImport(**prepared);
      if (!result.ok()) {
        progress.Finish();
        return Fail(result.status());
      }
      imported += result->imported;
      unchanged += result->unchanged;
      if (!result->problems.empty()) {
        ++refused_batches;
        bad_lines += static_cast<std::int64_t>(result->problems.size());
        std::string report;
        for (const auto& problem : result->problems) {
          report += "citycode: " + args.file + ":" + std::to_string(problem.line_number) + ": " +
                    problem.reason + "\n";
        }
        std::cerr << (progress.Interrupt() + report);
      }
      progress.Update(bytes, line_number);
    }
    progress.Finish();
    if (in.bad()) return Fail(Unavailable("cannot read " + args.file));
    refused_lines = line_number - blank_lines - imported - unchanged;
    std::cout << json{{"lines", line_number},
                      {"imported", imported},
                      {"unchanged", unchanged},
                      {"bad_lines", bad_lines},
                      {"refused_batches", refused_batches},
                      {"not_imported_lines", refused_lines}}
                     .dump()
              << "\n";
    return refused_batches == 0 ? kExitOk : kExitUsage;
  });
}

struct GenerateArgs {
  std::string out;
  std::int64_t count = 1000;
  std::string key_file;
  std::string issuer_code;
  std::string issuer_name = "即墨区发证机关";
  std::uint64_t first_serial = 1;
  int threads = 2;
};

// Writes `count` signed certificates of every holder-is-a-citizen type but
// the health records (a hospital's, not an agency's), for
// random fictional holders, one JSON line each.
int RunGenerate(const GenerateArgs& args) {
  auto pem = ReadFile(args.key_file, 64 * 1024);
  if (!pem.ok()) return Fail(pem.status());
  auto key = crypto::PrivateKey::FromPem(*pem);
  if (!key.ok()) return Fail(key.status());
  if (!vault::IsValidCreditCodeShape(args.issuer_code)) {
    return Fail(InvalidArgument("--issuer-code must be an 18-character credit code"));
  }
  std::vector<const vault::CertificateType*> types;
  for (const auto& type : vault::SeededCertificateTypes()) {
    if (type.holder_id_type == vault::HolderIdType::kCitizenIdNumber && !type.health) {
      types.push_back(&type);
    }
  }
  std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
  if (!out) return Fail(InvalidArgument("cannot write " + args.out));
  const vault::SampleIssuer issuer{.name = args.issuer_name, .credit_code = args.issuer_code};
  // Chunks are made on `threads` threads and written in order.
  constexpr std::int64_t kChunk = 10'000;
  auto make = [&](std::int64_t begin, std::int64_t end) -> Result<std::string> {
    std::string text;
    for (std::int64_t i = begin; i < end; ++i) {
      const std::uint64_t serial = args.first_serial + static_cast<std::uint64_t>(i);
      CITYCODE_ASSIGN_OR_RETURN(
          vault::Certificate c,
          vault::SampleCertificate(*types[i % types.size()],
                                   {.name = "示例市民" + std::to_string(serial % 10'000),
                                    .id_number = api_client::RandomResidentIdNumber()},
                                   issuer, serial, "2021-03-01", i % 7 == 0 ? "" : "2031-03-01"));
      CITYCODE_ASSIGN_OR_RETURN(vault::SignedCertificate signed_certificate,
                                vault::SignCertificate(c, *key));
      text += vault::CertificateToJson(signed_certificate).dump();
      text += "\n";
    }
    return text;
  };
  for (std::int64_t begin = 0; begin < args.count;) {
    std::vector<std::future<Result<std::string>>> chunks;
    for (int t = 0; t < std::max(1, args.threads) && begin < args.count; ++t) {
      const std::int64_t end = std::min(args.count, begin + kChunk);
      chunks.push_back(std::async(std::launch::async, make, begin, end));
      begin = end;
    }
    for (auto& chunk : chunks) {
      auto text = chunk.get();
      if (!text.ok()) return Fail(text.status());
      out << *text;
    }
  }
  out.close();
  if (!out) return Fail(Unavailable("writing " + args.out + " failed"));
  std::cout << json{{"file", args.out}, {"certificates", args.count}}.dump() << "\n";
  return kExitOk;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

void AddVaultCommands(CLI::App& app, Action& action) {
  CLI::App* vault_cmd = app.add_subcommand("vault", "The e-certificate vault");
  vault_cmd->require_subcommand(1);

  auto import_args = std::make_shared<ImportArgs>();
  CLI::App* import_cmd = vault_cmd->add_subcommand(
      "import",
      "Bulk-load agency-signed certificates, one JSON per line; a batch with a bad "
      "line imports nothing and every bad line is named");
  AddVaultOptions(import_cmd, import_args->vault);
  import_cmd->add_option("file", import_args->file, "JSONL file")->required();
  import_cmd->add_option("--batch", import_args->batch, "Lines per all-or-nothing batch")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  import_cmd->add_option("--threads", import_args->threads, "Threads checking signatures")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  import_cmd->callback(
      [import_args, &action] { action = [import_args] { return RunImport(*import_args); }; });

  auto generate_args = std::make_shared<GenerateArgs>();
  CLI::App* generate = vault_cmd->add_subcommand(
      "generate",
      "Write a JSONL file of signed certificates for fictional holders (tests, "
      "benchmarks)");
  generate->add_option("--out", generate_args->out, "Output file")->required();
  generate->add_option("--count", generate_args->count, "Certificates")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}))
      ->capture_default_str();
  generate->add_option("--key", generate_args->key_file, "Issuer private key (PEM)")->required();
  generate->add_option("--issuer-code", generate_args->issuer_code, "Issuer credit code")
      ->required();
  generate->add_option("--issuer-name", generate_args->issuer_name, "Issuer name")
      ->capture_default_str();
  generate->add_option("--first-serial", generate_args->first_serial, "First serial number")
      ->capture_default_str();
  generate->add_option("--threads", generate_args->threads, "Signing threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  generate->callback([generate_args, &action] {
    action = [generate_args] { return RunGenerate(*generate_args); };
  });

  struct IssuerArgs {
    VaultArgs vault;
    std::string org, credit_code, name, public_key_file;
    bool external = false, accept_bad_check = false;
  };
  auto issuer_args = std::make_shared<IssuerArgs>();
  CLI::App* issuer = vault_cmd->add_subcommand(
      "register-issuer", "Register an issuing agency as an issuer, with a public key");
  AddVaultOptions(issuer, issuer_args->vault);
  issuer->add_option("--org", issuer_args->org, "Issuing agency's organisation id")->required();
  issuer->add_option("--credit-code", issuer_args->credit_code, "Its unified social credit code")
      ->required();
  issuer->add_option("--name", issuer_args->name, "Its name")->required();
  issuer->add_option("--public-key", issuer_args->public_key_file, "Its signing key (PEM)")
      ->required();
  issuer->add_flag("--external", issuer_args->external, "Another authority's issuer");
  issuer->add_flag("--accept-bad-check-character", issuer_args->accept_bad_check,
                   "Keep identifiers with another check rule, with a warning (external only)");
  issuer->callback([issuer_args, &action] {
    action = [issuer_args] {
      auto pem = ReadFile(issuer_args->public_key_file, 64 * 1024);
      if (!pem.ok()) return Fail(pem.status());
      auto key = crypto::PublicKey::FromPem(*pem);
      if (!key.ok()) return Fail(key.status());
      return WithVault(
          issuer_args->vault, true, [&](store::Database&, platform::Platform&, vault::Vault& v) {
            const vault::IssuerRegistration registration{
                .org_id = issuer_args->org,
                .credit_code = issuer_args->credit_code,
                .name = issuer_args->name,
                .external = issuer_args->external,
                .accept_bad_check_character = issuer_args->accept_bad_check};
            if (Status status = v.RegisterIssuer(registration, "cli"); !status.ok()) {
              return Fail(status);
            }
            auto kid = v.AddIssuerKey(issuer_args->org, *key, "cli");
            if (!kid.ok() && kid.status().code() != StatusCode::kAlreadyExists) {
              return Fail(kid.status());
            }
            std::cout << json{{"org_id", issuer_args->org}, {"key_id", ToHex(key->key_id())}}.dump()
                      << "\n";
            return kExitOk;
          });
    };
  });

  struct TypesArgs {
    VaultArgs vault;
    std::string org, may_request, on_presentation;
  };
  auto types_args = std::make_shared<TypesArgs>();
  CLI::App* types = vault_cmd->add_subcommand(
      "org-types", "Set the certificate types an organisation may request");
  AddVaultOptions(types, types_args->vault);
  types->add_option("--org", types_args->org, "Organisation id")->required();
  types->add_option("--may-request", types_args->may_request, "Type keys or codes, comma-separated")
      ->required();
  types->add_option("--on-presentation", types_args->on_presentation,
                    "Of those, the ones a code shown at its terminals authorises");
  types->callback([types_args, &action] {
    action = [types_args] {
      return WithVault(
          types_args->vault, true, [&](store::Database&, platform::Platform&, vault::Vault& v) {
            Status status =
                v.SetOrganisationTypes(types_args->org, SplitList(types_args->may_request),
                                       SplitList(types_args->on_presentation), "cli");
            if (!status.ok()) return Fail(status);
            std::cout << json{{"org_id", types_args->org},
                              {"may_request", *v.OrganisationTypes(types_args->org, false)},
                              {"on_presentation", *v.OrganisationTypes(types_args->org, true)}}
                             .dump()
                      << "\n";
            return kExitOk;
          });
    };
  });

  auto rewrap_args = std::make_shared<VaultArgs>();
  CLI::App* rewrap = vault_cmd->add_subcommand(
      "rewrap", "Re-wrap every certificate's data key with the keyring's current master key");
  AddVaultOptions(rewrap, *rewrap_args);
  rewrap->callback([rewrap_args, &action] {
    action = [rewrap_args] {
      return WithVault(*rewrap_args, false,
                       [](store::Database&, platform::Platform&, vault::Vault& v) {
                         auto changed = v.RewrapSealedData();
                         if (!changed.ok()) return Fail(changed.status());
                         std::cout << json{{"rewrapped", *changed}}.dump() << "\n";
                         return kExitOk;
                       });
    };
  });

  // --- audit ---
  CLI::App* audit = app.add_subcommand("audit", "The vault's hash-chained audit log");
  audit->require_subcommand(1);
  struct VerifyArgs {
    VaultArgs vault;
    std::string public_key_file;
  };
  auto verify_args = std::make_shared<VerifyArgs>();
  CLI::App* verify = audit->add_subcommand(
      "verify",
      "Recompute the chain and check every checkpoint (database and file); exit 1 "
      "and name the first bad entry if anything was edited, deleted, inserted, "
      "reordered or cut off");
  AddVaultOptions(verify, verify_args->vault);
  verify->add_option("--public-key", verify_args->public_key_file,
                     "The vault's public key (PEM) to check against, instead of the database's");
  verify->callback([verify_args, &action] {
    action = [verify_args] {
      return WithVault(verify_args->vault, false,
                       [&](store::Database& db, platform::Platform&, vault::Vault& v) {
                         crypto::PublicKey key = v.public_key();
                         if (!verify_args->public_key_file.empty()) {
                           auto pem = ReadFile(verify_args->public_key_file, 64 * 1024);
                           if (!pem.ok()) return Fail(pem.status());
                           auto pinned = crypto::PublicKey::FromPem(*pem);
                           if (!pinned.ok()) return Fail(pinned.status());
                           key = *pinned;
                         }
                         auto report = vault::VerifyAuditLog(db, key, v.options().audit_hash,
                                                             v.options().checkpoint_file);
                         if (!report.ok()) return Fail(report.status());
                         json out = {{"ok", report->ok},
                                     {"entries", report->entries},
                                     {"checkpoints", report->checkpoints}};
                         if (!report->ok) {
                           out["problem"] = report->problem;
                           if (report->first_bad_seq) out["first_bad_seq"] = *report->first_bad_seq;
                           std::cerr << ("citycode: audit log: " + report->problem + "\n");
                         }
                         std::cout << out.dump() << "\n";
                         return report->ok ? kExitOk : kExitRefused;
                       });
    };
  });
  auto checkpoint_args = std::make_shared<VaultArgs>();
  CLI::App* checkpoint =
      audit->add_subcommand("checkpoint", "Sign the log's head now (database and file)");
  AddVaultOptions(checkpoint, *checkpoint_args);
  checkpoint->callback([checkpoint_args, &action] {
    action = [checkpoint_args] {
      return WithVault(*checkpoint_args, false,
                       [](store::Database&, platform::Platform&, vault::Vault& v) {
                         auto written = v.Checkpoint();
                         if (!written.ok()) return Fail(written.status());
                         std::cout << vault::CheckpointToJson(*written) << "\n";
                         return kExitOk;
                       });
    };
  });
}

}  // namespace citycode::cli
