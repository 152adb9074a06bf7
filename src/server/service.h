// The running service: the city (city/city.h), the API and the HTTP server
// put together from one configuration, plus the periodic upkeep (purging
// replay records and expired sessions, signing an audit checkpoint, each
// scene's upkeep). `citycode serve` and `citycode demo` run one;
// tests start one in-process.
#ifndef CITYCODE_SERVER_SERVICE_H_
#define CITYCODE_SERVER_SERVICE_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "city/city.h"
#include "common/clock.h"
#include "common/status.h"
#include "server/api.h"
#include "server/http.h"

namespace citycode::server {

// Where `npm run build` in web/ puts the pages of this checkout.
std::string DefaultWebDir();

// The city's configuration plus the server's own settings ([server]).
struct ServiceConfig : city::CityConfig {
  HttpOptions http;
  ApiOptions api;
  // The built pages (server/static_site.h); "" serves none. A missing
  // folder is logged and the API served without pages.
  std::string web_dir = DefaultWebDir();
};

// Reads a citycode.toml (see docs/CONFIG.md) over the defaults in `config`:
// the city's sections (city::LoadConfigFile) and [server]. invalid_argument
// naming the key for unknown keys or wrong types.
Status LoadConfigFile(const std::filesystem::path& file, ServiceConfig& config);
// Reads the [server] section kept in config.server.
Status ReadServerConfig(ServiceConfig& config);

class Service {
 public:
  // Opens everything and starts listening. `clock` must outlive the service.
  static Result<std::unique_ptr<Service>> Start(const ServiceConfig& config, const Clock& clock,
                                                city::OpenOptions options = {});
  ~Service();  // stops

  std::uint16_t port() const;
  city::City& city();
  platform::Platform& platform();
  vault::Vault& vault();
  store::Database& database();
  // Stops listening and upkeep; idempotent.
  void Stop();

 private:
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citycode::server

#endif  // CITYCODE_SERVER_SERVICE_H_
