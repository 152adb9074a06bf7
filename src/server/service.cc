#include "server/service.h"

#include <toml++/toml.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "platform/keyring.h"
#include "scenes/transit/clearing.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/rides.h"

namespace citycode::server {

struct Service::Impl {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<platform::Platform> platform;
  std::unique_ptr<vault::Vault> vault;
  std::unique_ptr<gov::GovScene> gov;
  // The transit scene, all null when no feed is configured. The feed and
  // extensions sit behind pointers: Rides keeps references to them.
  std::unique_ptr<transit::Feed> feed;
  std::unique_ptr<transit::FareExtensions> fare_extensions;
  std::unique_ptr<transit::Rides> rides;
  std::unique_ptr<transit::Clearing> clearing;
  Metrics metrics;
  Router router;
  std::unique_ptr<Api> api;
  std::unique_ptr<HttpServer> http;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread upkeep;

  void Upkeep(std::chrono::seconds interval) {
    std::unique_lock lock(mutex);
    while (!wake.wait_for(lock, interval, [&] { return stopping; })) {
      lock.unlock();
      if (Status status = platform->PurgeExpired(); !status.ok()) {
        std::fprintf(stderr, "citycode: upkeep failed: %s\n", status.ToString().c_str());
      }
      if (auto checkpoint = vault->Checkpoint(); !checkpoint.ok()) {
        std::fprintf(stderr, "citycode: audit checkpoint failed: %s\n",
                     checkpoint.status().ToString().c_str());
      }
      lock.lock();
    }
  }

  void Stop() {
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      stopping = true;
    }
    wake.notify_all();
    if (upkeep.joinable()) upkeep.join();
    if (http) http->Stop();
    if (vault) (void)vault->Checkpoint();  // the newest entries are covered on a clean stop
  }
};

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() { Stop(); }

void Service::Stop() { impl_->Stop(); }
std::uint16_t Service::port() const { return impl_->http->port(); }
platform::Platform& Service::platform() { return *impl_->platform; }
vault::Vault& Service::vault() { return *impl_->vault; }
gov::GovScene& Service::gov() { return *impl_->gov; }
store::Database& Service::database() { return *impl_->db; }

Result<std::unique_ptr<Service>> Service::Start(const ServiceConfig& config, const Clock& clock) {
  auto impl = std::make_unique<Impl>();
  CITYCODE_ASSIGN_OR_RETURN(
      impl->db,
      store::Database::Open(config.database_url, {.pool_size = config.database_pool_size}));
  CITYCODE_ASSIGN_OR_RETURN(
      platform::Keyring keyring,
      platform::Keyring::LoadOrCreate(config.keyring_file, config.cipher_profile));
  CITYCODE_ASSIGN_OR_RETURN(impl->platform,
                            platform::Platform::Open(*impl->db, clock, keyring, config.platform));
  CITYCODE_ASSIGN_OR_RETURN(
      impl->vault, vault::Vault::Open(*impl->db, clock, *impl->platform, keyring, config.vault));
  CITYCODE_ASSIGN_OR_RETURN(impl->gov,
                            gov::GovScene::Open(*impl->db, clock, *impl->platform, *impl->vault));
  if (!config.transit.feed_dir.empty()) {
    CITYCODE_ASSIGN_OR_RETURN(transit::Feed feed, transit::LoadFeed(config.transit.feed_dir));
    impl->feed = std::make_unique<transit::Feed>(std::move(feed));
    CITYCODE_ASSIGN_OR_RETURN(transit::FareExtensions extensions,
                              transit::LoadFareExtensions(config.transit.feed_dir, *impl->feed));
    impl->fare_extensions = std::make_unique<transit::FareExtensions>(std::move(extensions));
    // Rows not taken as written do not stop the service; `citycode transit
    // import` lists them with file and line.
    if (const std::size_t issues = impl->feed->issues.size() + impl->fare_extensions->issues.size();
        issues > 0) {
      std::fprintf(stderr,
                   "citycode: transit feed %s: %zu rows not loaded as written (see citycode "
                   "transit import)\n",
                   config.transit.feed_dir.string().c_str(), issues);
    }
    CITYCODE_ASSIGN_OR_RETURN(
        impl->rides, transit::Rides::Open(*impl->db, clock, *impl->feed, *impl->fare_extensions));
    CITYCODE_ASSIGN_OR_RETURN(impl->clearing,
                              transit::Clearing::Open(*impl->db, clock, *impl->feed));
  }
  impl->api = std::make_unique<Api>(*impl->platform, *impl->vault, *impl->gov, impl->feed.get(),
                                    impl->rides.get(), impl->clearing.get(), *impl->db,
                                    impl->metrics, config.api);
  impl->api->RegisterRoutes(impl->router);
  impl->http = std::make_unique<HttpServer>(config.http, impl->router, impl->metrics);
  CITYCODE_RETURN_IF_ERROR(impl->http->Start());
  Impl* raw = impl.get();
  impl->upkeep = std::thread([raw, interval = config.upkeep_interval] { raw->Upkeep(interval); });
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

namespace {

// Reads `table` into `config`; every key must be known.
class ConfigReader {
 public:
  explicit ConfigReader(const toml::table& root) : root_(root) {}

  template <typename T>
  Status Read(std::string_view section, std::string_view key, T& out) {
    const toml::node* node = root_.at_path(std::string(section) + "." + std::string(key)).node();
    seen_.insert(std::string(section) + "." + std::string(key));
    if (node == nullptr) return OkStatus();
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
      auto value = node->value<std::string>();
      if (!value) return Bad(section, key, "a string");
      out = *value;
    } else if constexpr (std::is_same_v<T, double>) {
      auto value = node->value<double>();
      if (!value) return Bad(section, key, "a number");
      out = *value;
    } else {
      auto value = node->value<std::int64_t>();
      if (!value || *value < 0) return Bad(section, key, "a non-negative integer");
      out = static_cast<T>(*value);
    }
    return OkStatus();
  }

  // Every key in the file must have been read.
  Status CheckNoUnknownKeys() const {
    for (const auto& [section, node] : root_) {
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        return InvalidArgument("config: top-level key \"" + std::string(section.str()) +
                               "\" must be a [section]");
      }
      for (const auto& [key, value] : *table) {
        const std::string path = std::string(section.str()) + "." + std::string(key.str());
        if (!seen_.contains(path)) return InvalidArgument("config: unknown key " + path);
      }
    }
    return OkStatus();
  }

 private:
  static Status Bad(std::string_view section, std::string_view key, std::string_view what) {
    return InvalidArgument("config: " + std::string(section) + "." + std::string(key) +
                           " must be " + std::string(what));
  }
  const toml::table& root_;
  std::set<std::string> seen_;
};

}  // namespace

Status LoadConfigFile(const std::filesystem::path& file, ServiceConfig& config) {
  if (!std::filesystem::is_regular_file(file)) {
    return NotFound("config " + file.string() + " does not exist");
  }
  toml::table parsed;
  try {  // toml++ reports syntax errors by exception; they end here
    parsed = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    return InvalidArgument("config " + file.string() + ":" +
                           std::to_string(error.source().begin.line) + ": " +
                           std::string(error.description()));
  }
  ConfigReader reader(parsed);
  std::string profile = std::string(crypto::CipherProfileName(config.cipher_profile));
  std::string algorithm = std::string(crypto::CliName(config.platform.algorithm));
  std::int64_t read_timeout_ms = config.http.read_timeout.count();
  std::int64_t deadline_ms = config.http.handler_deadline.count();
  std::int64_t credential_hours =
      std::chrono::duration_cast<std::chrono::hours>(config.platform.credential_lifetime).count();
  std::int64_t upkeep_seconds = config.upkeep_interval.count();
  CITYCODE_RETURN_IF_ERROR(reader.Read("server", "listen", config.http.listen));
  CITYCODE_RETURN_IF_ERROR(reader.Read("server", "threads", config.http.threads));
  CITYCODE_RETURN_IF_ERROR(reader.Read("server", "max_body_bytes", config.http.max_body_bytes));
  CITYCODE_RETURN_IF_ERROR(reader.Read("server", "read_timeout_ms", read_timeout_ms));
  CITYCODE_RETURN_IF_ERROR(reader.Read("server", "handler_deadline_ms", deadline_ms));
  CITYCODE_RETURN_IF_ERROR(reader.Read("server", "rate_per_key", config.api.rate_per_key));
  CITYCODE_RETURN_IF_ERROR(reader.Read("server", "burst_per_key", config.api.burst_per_key));
  CITYCODE_RETURN_IF_ERROR(reader.Read("database", "url", config.database_url));
  CITYCODE_RETURN_IF_ERROR(reader.Read("database", "pool_size", config.database_pool_size));
  CITYCODE_RETURN_IF_ERROR(reader.Read("keys", "keyring", config.keyring_file));
  CITYCODE_RETURN_IF_ERROR(reader.Read("keys", "profile", profile));
  CITYCODE_RETURN_IF_ERROR(reader.Read("platform", "issuer", config.platform.issuer_id));
  CITYCODE_RETURN_IF_ERROR(reader.Read("platform", "algorithm", algorithm));
  CITYCODE_RETURN_IF_ERROR(
      reader.Read("platform", "max_devices_per_citizen", config.platform.max_devices_per_citizen));
  CITYCODE_RETURN_IF_ERROR(reader.Read("platform", "credential_hours", credential_hours));
  CITYCODE_RETURN_IF_ERROR(reader.Read("platform", "upkeep_seconds", upkeep_seconds));
  std::filesystem::path checkpoint_file =
      config.vault.checkpoint_file.value_or("citycode.audit-checkpoints.jsonl");
  std::string audit_hash = config.vault.audit_hash == vault::AuditHash::kSm3 ? "sm3" : "sha256";
  std::int64_t grant_minutes =
      std::chrono::duration_cast<std::chrono::minutes>(config.vault.presentation_grant_lifetime)
          .count();
  CITYCODE_RETURN_IF_ERROR(reader.Read("vault", "checkpoint_file", checkpoint_file));
  CITYCODE_RETURN_IF_ERROR(reader.Read("vault", "audit_hash", audit_hash));
  CITYCODE_RETURN_IF_ERROR(reader.Read("vault", "checkpoint_every", config.vault.checkpoint_every));
  CITYCODE_RETURN_IF_ERROR(reader.Read("vault", "presentation_grant_minutes", grant_minutes));
  std::string transit_feed_dir = config.transit.feed_dir.string();
  std::int64_t max_scan_age_hours =
      std::chrono::duration_cast<std::chrono::hours>(config.platform.max_scan_age).count();
  CITYCODE_RETURN_IF_ERROR(reader.Read("transit", "feed_dir", transit_feed_dir));
  CITYCODE_RETURN_IF_ERROR(reader.Read("transit", "max_scan_age_hours", max_scan_age_hours));
  CITYCODE_RETURN_IF_ERROR(reader.CheckNoUnknownKeys());
  config.transit.feed_dir = transit_feed_dir;
  if (max_scan_age_hours < 1 || max_scan_age_hours > 24 * 90) {
    return InvalidArgument("config: transit.max_scan_age_hours must be 1-2160");
  }
  config.platform.max_scan_age = std::chrono::hours(max_scan_age_hours);
  CITYCODE_ASSIGN_OR_RETURN(config.cipher_profile, crypto::CipherProfileFromName(profile));
  CITYCODE_ASSIGN_OR_RETURN(config.platform.algorithm, crypto::AlgorithmFromCliName(algorithm));
  if (config.http.threads < 1) return InvalidArgument("config: server.threads must be at least 1");
  if (credential_hours < 1)
    return InvalidArgument("config: platform.credential_hours must be >= 1");
  config.http.read_timeout = std::chrono::milliseconds(read_timeout_ms);
  config.http.handler_deadline = std::chrono::milliseconds(deadline_ms);
  config.platform.credential_lifetime = std::chrono::hours(credential_hours);
  config.upkeep_interval = std::chrono::seconds(std::max<std::int64_t>(1, upkeep_seconds));
  if (audit_hash != "sha256" && audit_hash != "sm3") {
    return InvalidArgument("config: vault.audit_hash must be \"sha256\" or \"sm3\"");
  }
  if (grant_minutes < 1) return InvalidArgument("config: vault.presentation_grant_minutes >= 1");
  config.vault.checkpoint_file = checkpoint_file;
  config.vault.audit_hash =
      audit_hash == "sm3" ? vault::AuditHash::kSm3 : vault::AuditHash::kSha256;
  config.vault.presentation_grant_lifetime = std::chrono::minutes(grant_minutes);
  return OkStatus();
}

}  // namespace citycode::server
