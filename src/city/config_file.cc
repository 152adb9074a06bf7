// citycode.toml: parsed with toml++ into one ConfigTable per [section]; the
// city's own sections are read here, [server] and the scenes' sections are
// kept for their readers.
#include <toml++/toml.h>

#include "city/city.h"
#include "common/files.h"
#include "common/words.h"
#include "crypto/algorithm.h"
#include "oidc/id_token.h"
#include "outbox/destination.h"
#include "sms/gateway.h"

namespace citycode::city {
namespace {

using Sections = std::map<std::string, ConfigTable, std::less<>>;

Result<ConfigValue> ToValue(const toml::node& node, const std::string& path) {
  if (auto text = node.value<std::string>(); text && node.is_string()) return ConfigValue(*text);
  if (node.is_integer()) return ConfigValue(*node.value<std::int64_t>());
  if (node.is_floating_point()) return ConfigValue(*node.value<double>());
  if (node.is_boolean()) return ConfigValue(*node.value<bool>());
  return InvalidArgument("config: " + path + " must be a string, a number or a boolean");
}

// A configuration is a few kilobytes; the limit keeps a wrong file (a log,
// a dump) from being parsed at all.
constexpr std::uintmax_t kMaxConfigBytes = 1 << 20;

Result<Sections> ParseFile(const std::filesystem::path& file) {
  if (!std::filesystem::is_regular_file(file)) {
    return NotFound("config " + file.string() + " does not exist");
  }
  std::error_code size_error;
  if (std::filesystem::file_size(file, size_error) > kMaxConfigBytes || size_error) {
    return InvalidArgument("config " + file.string() + " is over 1 MiB or unreadable");
  }
  toml::table parsed;
  try {  // toml++ reports syntax errors by exception; they end here
    parsed = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    return InvalidArgument("config " + file.string() + ":" +
                           std::to_string(error.source().begin.line) + ": " +
                           std::string(error.description()));
  }
  Sections sections;
  for (const auto& [name, node] : parsed) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return InvalidArgument("config: top-level key \"" + std::string(name.str()) +
                             "\" must be a [section]");
    }
    ConfigTable& keys = sections[std::string(name.str())];
    for (const auto& [key, value] : *table) {
      // [outbox.NAME]: one table per destination, kept as section "outbox.NAME".
      if (name.str() == "outbox" && value.is_table()) {
        const std::string destination = "outbox." + std::string(key.str());
        for (const auto& [sub_key, sub_value] : *value.as_table()) {
          CITYCODE_ASSIGN_OR_RETURN(
              sections[destination][std::string(sub_key.str())],
              ToValue(sub_value, destination + "." + std::string(sub_key.str())));
        }
        continue;
      }
      CITYCODE_ASSIGN_OR_RETURN(
          keys[std::string(key.str())],
          ToValue(value, std::string(name.str()) + "." + std::string(key.str())));
    }
  }
  return sections;
}

ConfigTable Take(Sections& sections, std::string_view name) {
  auto it = sections.find(name);
  if (it == sections.end()) return {};
  ConfigTable out = std::move(it->second);
  sections.erase(it);
  return out;
}

Status ReadStorage(Sections& sections, CityConfig& config) {
  const ConfigTable database_table = Take(sections, "database");
  ConfigSection database("database", database_table);
  CITYCODE_RETURN_IF_ERROR(database.Read("url", config.database_url));
  CITYCODE_RETURN_IF_ERROR(database.Read("pool_size", config.database_pool_size));
  CITYCODE_RETURN_IF_ERROR(database.CheckAllRead());
  const ConfigTable keys_table = Take(sections, "keys");
  ConfigSection keys("keys", keys_table);
  std::string profile(crypto::CipherProfileName(config.cipher_profile));
  CITYCODE_RETURN_IF_ERROR(keys.Read("keyring", config.keyring_file));
  CITYCODE_RETURN_IF_ERROR(keys.Read("profile", profile));
  CITYCODE_RETURN_IF_ERROR(keys.CheckAllRead());
  CITYCODE_ASSIGN_OR_RETURN(config.cipher_profile, crypto::CipherProfileFromName(profile));
  return OkStatus();
}

Status ReadPlatform(Sections& sections, CityConfig& config) {
  using platform::PlatformOptions;
  const ConfigTable table = Take(sections, "platform");
  ConfigSection platform("platform", table);
  std::string algorithm(crypto::CliName(config.platform.algorithm));
  std::int64_t credential_hours =
      std::chrono::duration_cast<std::chrono::hours>(config.platform.credential_lifetime).count();
  std::int64_t upkeep_seconds = config.upkeep_interval.count();
  std::int64_t card_days =
      std::chrono::duration_cast<std::chrono::days>(config.platform.card_lifetime).count();
  std::int64_t max_scan_age_hours =
      std::chrono::duration_cast<std::chrono::hours>(config.platform.max_scan_age).count();
  std::int64_t revoked_upload_grace_hours =
      std::chrono::duration_cast<std::chrono::hours>(config.platform.revoked_upload_grace).count();
  std::int64_t keep_verifications_days = config.platform.keep_verifications.count();
  CITYCODE_RETURN_IF_ERROR(platform.Read("issuer", config.platform.issuer_id));
  CITYCODE_RETURN_IF_ERROR(platform.Read("keep_verifications_days", keep_verifications_days));
  CITYCODE_RETURN_IF_ERROR(platform.Read("algorithm", algorithm));
  CITYCODE_RETURN_IF_ERROR(
      platform.Read("max_devices_per_citizen", config.platform.max_devices_per_citizen));
  CITYCODE_RETURN_IF_ERROR(platform.Read("credential_hours", credential_hours));
  CITYCODE_RETURN_IF_ERROR(platform.Read("upkeep_seconds", upkeep_seconds));
  CITYCODE_RETURN_IF_ERROR(platform.Read("card_days", card_days));
  CITYCODE_RETURN_IF_ERROR(platform.Read("card_uses_per_day", config.platform.card_uses_per_day));
  CITYCODE_RETURN_IF_ERROR(platform.Read("max_scan_age_hours", max_scan_age_hours));
  CITYCODE_RETURN_IF_ERROR(platform.Read("revoked_upload_grace_hours", revoked_upload_grace_hours));
  std::string time_zone;
  CITYCODE_RETURN_IF_ERROR(platform.Read("time_zone", time_zone));
  PlatformOptions& options = config.platform;
  CITYCODE_RETURN_IF_ERROR(platform.Read("password_threads", options.password_threads));
  CITYCODE_RETURN_IF_ERROR(platform.Read("password_queue", options.password_queue));
  CITYCODE_RETURN_IF_ERROR(
      platform.Read("login_failures_per_phone", options.login_failures_per_phone));
  CITYCODE_RETURN_IF_ERROR(
      platform.Read("login_failures_per_address", options.login_failures_per_address));
  CITYCODE_RETURN_IF_ERROR(platform.CheckAllRead());
  if (options.password_threads < 1 || options.password_threads > 64) {
    return platform.Invalid("password_threads", "1-64");
  }
  if (options.password_queue < 0 || options.password_queue > 1000) {
    return platform.Invalid("password_queue", "0-1000");
  }
  if (!time_zone.empty()) {
    auto time = ParseTimeZone(time_zone);
    if (!time.ok())
      return platform.Invalid("time_zone", "Asia/Shanghai or a fixed offset like +08:00");
    config.time = *time;
  }
  CITYCODE_ASSIGN_OR_RETURN(config.platform.algorithm, crypto::AlgorithmFromCliName(algorithm));
  if (credential_hours < 1) return platform.Invalid("credential_hours", ">= 1");
  if (max_scan_age_hours < 1 || max_scan_age_hours > 24 * 90) {
    return platform.Invalid("max_scan_age_hours", "1-2160");
  }
  config.platform.credential_lifetime = std::chrono::hours(credential_hours);
  if (card_days < 1 || card_days > 3650) return platform.Invalid("card_days", "1-3650");
  config.platform.card_lifetime = std::chrono::days(card_days);
  if (config.platform.card_uses_per_day < 1 || config.platform.card_uses_per_day > 100) {
    return platform.Invalid("card_uses_per_day", "1-100");
  }
  config.platform.max_scan_age = std::chrono::hours(max_scan_age_hours);
  if (revoked_upload_grace_hours < 0 || revoked_upload_grace_hours > max_scan_age_hours) {
    return platform.Invalid("revoked_upload_grace_hours", "0 to max_scan_age_hours");
  }
  config.platform.revoked_upload_grace = std::chrono::hours(revoked_upload_grace_hours);
  // At least the dashboard's longest window (platform/activity.h).
  if (keep_verifications_days < 8 || keep_verifications_days > 3650) {
    return platform.Invalid("keep_verifications_days", "8-3650");
  }
  config.platform.keep_verifications = std::chrono::days(keep_verifications_days);
  config.upkeep_interval = std::chrono::seconds(std::max<std::int64_t>(1, upkeep_seconds));
  return OkStatus();
}

Status ReadVault(Sections& sections, CityConfig& config) {
  const ConfigTable table = Take(sections, "vault");
  ConfigSection vault("vault", table);
  std::filesystem::path checkpoint_file;  // absent: the caller's default stays
  std::string audit_hash = config.vault.audit_hash == vault::AuditHash::kSm3 ? "sm3" : "sha256";
  std::int64_t grant_minutes =
      std::chrono::duration_cast<std::chrono::minutes>(config.vault.presentation_grant_lifetime)
          .count();
  CITYCODE_RETURN_IF_ERROR(vault.Read("checkpoint_file", checkpoint_file));
  CITYCODE_RETURN_IF_ERROR(vault.Read("audit_hash", audit_hash));
  CITYCODE_RETURN_IF_ERROR(vault.Read("checkpoint_every", config.vault.checkpoint_every));
  CITYCODE_RETURN_IF_ERROR(vault.Read("presentation_grant_minutes", grant_minutes));
  CITYCODE_RETURN_IF_ERROR(vault.CheckAllRead());
  if (audit_hash != "sha256" && audit_hash != "sm3") {
    return vault.Invalid("audit_hash", "\"sha256\" or \"sm3\"");
  }
  if (grant_minutes < 1) return vault.Invalid("presentation_grant_minutes", ">= 1");
  if (!checkpoint_file.empty()) config.vault.checkpoint_file = checkpoint_file;
  config.vault.audit_hash =
      audit_hash == "sm3" ? vault::AuditHash::kSm3 : vault::AuditHash::kSha256;
  config.vault.presentation_grant_lifetime = std::chrono::minutes(grant_minutes);
  return OkStatus();
}

// [identity]: the OpenID Connect provider whose ID tokens verify a person
// online. Without an issuer there is none (only hall windows verify).
Status ReadIdentity(Sections& sections, CityConfig& config) {
  const ConfigTable table = Take(sections, "identity");
  ConfigSection identity("identity", table);
  oidc::ProviderConfig provider;
  std::filesystem::path jwks_file;
  std::string algorithms;
  CITYCODE_RETURN_IF_ERROR(identity.Read("issuer", provider.issuer));
  CITYCODE_RETURN_IF_ERROR(identity.Read("client_id", provider.client_id));
  CITYCODE_RETURN_IF_ERROR(identity.Read("jwks_file", jwks_file));
  CITYCODE_RETURN_IF_ERROR(identity.Read("algorithms", algorithms));
  CITYCODE_RETURN_IF_ERROR(identity.Read("name_claim", provider.name_claim));
  CITYCODE_RETURN_IF_ERROR(identity.Read("id_number_claim", provider.id_number_claim));
  CITYCODE_RETURN_IF_ERROR(identity.CheckAllRead());
  if (provider.issuer.empty()) return OkStatus();
  if (provider.client_id.empty()) return identity.Invalid("client_id", "our client id");
  if (jwks_file.empty()) return identity.Invalid("jwks_file", "the provider's JWKS file");
  if (!algorithms.empty()) provider.algorithms = SplitWords(algorithms);
  CITYCODE_ASSIGN_OR_RETURN(provider.jwks_json, ReadFile(jwks_file, oidc::kMaxJwksBytes));
  config.platform.identity_provider = std::move(provider);
  return OkStatus();
}

// [sms]: the operator's SMS gateway for one-time codes, and the hourly
// limits on texts asked for.
Status ReadSms(Sections& sections, CityConfig& config) {
  const ConfigTable table = Take(sections, "sms");
  ConfigSection sms("sms", table);
  std::string url;
  std::filesystem::path token_file;
  std::int64_t per_phone = config.platform.max_texts_per_phone_hour;
  std::int64_t per_address = config.platform.max_texts_per_address_hour;
  CITYCODE_RETURN_IF_ERROR(sms.Read("url", url));
  CITYCODE_RETURN_IF_ERROR(sms.Read("token_file", token_file));
  CITYCODE_RETURN_IF_ERROR(sms.Read("max_texts_per_phone_hour", per_phone));
  CITYCODE_RETURN_IF_ERROR(sms.Read("max_texts_per_address_hour", per_address));
  CITYCODE_RETURN_IF_ERROR(sms.CheckAllRead());
  if (per_phone < 1 || per_phone > 100) return sms.Invalid("max_texts_per_phone_hour", "1-100");
  if (per_address < 1 || per_address > 1'000'000) {
    return sms.Invalid("max_texts_per_address_hour", "1-1000000");
  }
  config.platform.max_texts_per_phone_hour = static_cast<int>(per_phone);
  config.platform.max_texts_per_address_hour = static_cast<int>(per_address);
  if (url.empty()) return OkStatus();
  std::string token;
  if (!token_file.empty()) {
    CITYCODE_ASSIGN_OR_RETURN(token, ReadFile(token_file, 4096));
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  }
  auto gateway = sms::MakeHttpGateway(url, std::move(token));
  if (!gateway.ok()) return sms.Invalid("url", "http://host:port[/path]");
  config.platform.sms = std::move(*gateway);
  return OkStatus();
}

// [outbox] and one [outbox.NAME] per destination.
Status ReadOutbox(Sections& sections, CityConfig& config) {
  const ConfigTable table = Take(sections, "outbox");
  std::map<std::string, ConfigTable, std::less<>> destinations;
  for (auto it = sections.begin(); it != sections.end();) {
    if (it->first.starts_with("outbox.")) {
      destinations[it->first.substr(7)] = std::move(it->second);
      it = sections.erase(it);
    } else {
      ++it;
    }
  }
  CITYCODE_ASSIGN_OR_RETURN(config.outbox, outbox::ReadOutboxConfig(table, destinations));
  return OkStatus();
}

}  // namespace

Status LoadConfigFile(const std::filesystem::path& file, CityConfig& config) {
  CITYCODE_ASSIGN_OR_RETURN(Sections sections, ParseFile(file));
  CITYCODE_RETURN_IF_ERROR(ReadStorage(sections, config));
  CITYCODE_RETURN_IF_ERROR(ReadPlatform(sections, config));
  CITYCODE_RETURN_IF_ERROR(ReadVault(sections, config));
  CITYCODE_RETURN_IF_ERROR(ReadIdentity(sections, config));
  CITYCODE_RETURN_IF_ERROR(ReadSms(sections, config));
  CITYCODE_RETURN_IF_ERROR(ReadOutbox(sections, config));
  config.server = Take(sections, "server");
  // What is left belongs to scenes; City::Open refuses a section no scene
  // claims.
  for (auto& [name, table] : sections) config.scenes[name] = std::move(table);
  return OkStatus();
}

}  // namespace citycode::city
