#include "server/service.h"

#include <malloc.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "server/static_site.h"

namespace citycode::server {

struct Service::Impl {
  std::unique_ptr<city::City> city;
  Metrics metrics;
  Router router;
  std::unique_ptr<Api> api;
  std::unique_ptr<HttpServer> http;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread upkeep;

  static void Report(std::string_view what, const Status& status) {
    if (status.ok()) return;
    std::fprintf(stderr, "citycode: %.*s failed: %s\n", static_cast<int>(what.size()), what.data(),
                 status.ToString().c_str());
  }

  void UpkeepOnce() {
    Report("upkeep", city->platform().PurgeExpired());
    Report("audit checkpoint", city->vault().Checkpoint().status());
    Report("dependants review", city->vault().ReviewDependants().status());
    Report("outbox purge", city->outbox().PurgeDelivered().status());
    for (const auto& scene : city->scenes()) Report("scene upkeep", scene->Upkeep());
    // glibc keeps freed heap for reuse; whole free pages go back to the
    // system here, so the server's memory follows its load more than its
    // busiest minute.
    malloc_trim(0);
  }

  void Upkeep(std::chrono::seconds interval) {
    std::unique_lock lock(mutex);
    while (!wake.wait_for(lock, interval, [&] { return stopping; })) {
      lock.unlock();
      UpkeepOnce();
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
    if (city) city->outbox().StopRelay();
    if (http) http->Stop();
    // The newest entries are covered on a clean stop.
    if (city) (void)city->vault().Checkpoint();
  }
};

namespace {}  // namespace

std::string DefaultWebDir() { return CITYCODE_WEB_DIR; }

namespace {

Status AddPages(const std::string& web_dir, Router& router) {
  if (web_dir.empty()) return OkStatus();
  auto site = StaticSite::Load(web_dir);
  if (!site.ok() && site.status().code() == StatusCode::kNotFound) {
    std::fprintf(stderr, "citycode: serving the API without pages: %s\n",
                 site.status().message().c_str());
    return OkStatus();
  }
  CITYCODE_RETURN_IF_ERROR(site.status());
  site->Register(router);
  return OkStatus();
}

}  // namespace

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() { Stop(); }

void Service::Stop() { impl_->Stop(); }
std::uint16_t Service::port() const { return impl_->http->port(); }
city::City& Service::city() { return *impl_->city; }
platform::Platform& Service::platform() { return impl_->city->platform(); }
vault::Vault& Service::vault() { return impl_->city->vault(); }
store::Database& Service::database() { return impl_->city->database(); }

Result<std::unique_ptr<Service>> Service::Start(const ServiceConfig& config, const Clock& clock,
                                                city::OpenOptions options) {
  auto impl = std::make_unique<Impl>();
  options.connect_whole_pool = true;
  CITYCODE_ASSIGN_OR_RETURN(impl->city, city::City::Open(config, clock, options));
  impl->api = std::make_unique<Api>(*impl->city, clock, impl->metrics, config.api);
  impl->api->RegisterRoutes(impl->router);
  CITYCODE_RETURN_IF_ERROR(AddPages(config.web_dir, impl->router));
  impl->http = std::make_unique<HttpServer>(config.http, impl->router, impl->metrics, clock);
  CITYCODE_RETURN_IF_ERROR(impl->http->Start());
  Impl* raw = impl.get();
  impl->upkeep = std::thread([raw, interval = config.upkeep_interval] { raw->Upkeep(interval); });
  // The outbox's deliveries run on the relay's own thread (one relay per
  // server; several servers share the work by their claims' leases).
  impl->city->outbox().StartRelay();
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Status ReadServerConfig(ServiceConfig& config) {
  ConfigSection server("server", config.server);
  std::int64_t read_timeout_ms = config.http.read_timeout.count();
  std::int64_t deadline_ms = config.http.handler_deadline.count();
  CITYCODE_RETURN_IF_ERROR(server.Read("listen", config.http.listen));
  CITYCODE_RETURN_IF_ERROR(server.Read("threads", config.http.threads));
  CITYCODE_RETURN_IF_ERROR(server.Read("handler_threads", config.http.handler_threads));
  CITYCODE_RETURN_IF_ERROR(server.Read("max_queued_requests", config.http.max_queued_requests));
  CITYCODE_RETURN_IF_ERROR(
      server.Read("bad_tokens_per_address", config.api.bad_tokens_per_address));
  CITYCODE_RETURN_IF_ERROR(server.Read("max_body_bytes", config.http.max_body_bytes));
  CITYCODE_RETURN_IF_ERROR(server.Read("read_timeout_ms", read_timeout_ms));
  CITYCODE_RETURN_IF_ERROR(server.Read("handler_deadline_ms", deadline_ms));
  CITYCODE_RETURN_IF_ERROR(server.Read("rate_per_key", config.api.rate_per_key));
  CITYCODE_RETURN_IF_ERROR(server.Read("web_dir", config.web_dir));
  CITYCODE_RETURN_IF_ERROR(server.Read("burst_per_key", config.api.burst_per_key));
  CITYCODE_RETURN_IF_ERROR(server.Read("tls_certificate", config.http.tls_certificate));
  CITYCODE_RETURN_IF_ERROR(server.Read("tls_private_key", config.http.tls_private_key));
  CITYCODE_RETURN_IF_ERROR(server.CheckAllRead());
  if (config.http.threads < 1) return server.Invalid("threads", "at least 1");
  if (config.http.handler_threads < 1 || config.http.handler_threads > 1024) {
    return server.Invalid("handler_threads", "1-1024");
  }
  if (config.http.max_queued_requests < 0) return server.Invalid("max_queued_requests", ">= 0");
  // HTTPS needs both; the files themselves are checked when the server starts.
  if (config.http.tls_certificate.empty() != config.http.tls_private_key.empty()) {
    return config.http.tls_private_key.empty()
               ? server.Invalid("tls_private_key",
                                "set too when tls_certificate is (both or neither)")
               : server.Invalid("tls_certificate",
                                "set too when tls_private_key is (both or neither)");
  }
  // Logins waiting for a password hash hold their handler threads: at
  // least one must stay free for everything else (docs/BENCHMARKS.md).
  if (config.http.handler_threads <=
      config.platform.password_threads + config.platform.password_queue) {
    return server.Invalid("handler_threads",
                          "more than [platform] password_threads + password_queue");
  }
  config.http.read_timeout = std::chrono::milliseconds(read_timeout_ms);
  config.http.handler_deadline = std::chrono::milliseconds(deadline_ms);
  return OkStatus();
}

Status LoadConfigFile(const std::filesystem::path& file, ServiceConfig& config) {
  CITYCODE_RETURN_IF_ERROR(city::LoadConfigFile(file, config));
  return ReadServerConfig(config);
}

}  // namespace citycode::server
