#include "city/city.h"

#include <algorithm>

#include "scenes/scene_list.h"

namespace citycode::city {

City::~City() = default;

api::Scene* City::scene(std::string_view name) const {
  for (std::size_t i = 0; i < scenes_.size(); ++i) {
    if (scene_names_[i] == name) return scenes_[i].get();
  }
  return nullptr;
}

Result<nlohmann::json> City::ExportScenes(std::string_view citizen_id) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < scenes_.size(); ++i) {
    CITYCODE_ASSIGN_OR_RETURN(nlohmann::json records, scenes_[i]->ExportCitizen(citizen_id));
    if (!records.is_null()) out[scene_names_[i]] = std::move(records);
  }
  return out;
}

Result<nlohmann::json> City::DashboardScenes(Instant since) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < scenes_.size(); ++i) {
    CITYCODE_ASSIGN_OR_RETURN(nlohmann::json figures, scenes_[i]->Dashboard(since));
    if (!figures.is_null()) out[scene_names_[i]] = std::move(figures);
  }
  return out;
}

Result<std::vector<std::string>> City::DeleteAccount(std::string_view citizen_id,
                                                     std::string_view password) {
  CITYCODE_RETURN_IF_ERROR(platform_->citizens().CheckPassword(citizen_id, password));
  CITYCODE_RETURN_IF_ERROR(vault_->ForgetCitizen(citizen_id));
  std::vector<std::string> kept = {
      "vault: the audit log of consents and of who fetched which certificates — the record the "
      "vault must keep; it names the account only by its id"};
  for (const auto& scene : scenes_) {
    CITYCODE_ASSIGN_OR_RETURN(std::vector<std::string> scene_kept, scene->EraseCitizen(citizen_id));
    kept.insert(kept.end(), scene_kept.begin(), scene_kept.end());
  }
  CITYCODE_RETURN_IF_ERROR(platform_->citizens().Erase(citizen_id));
  return kept;
}

Result<std::unique_ptr<City>> City::Open(const CityConfig& config, const Clock& clock,
                                         OpenOptions options) {
  std::unique_ptr<City> city(new City());
  const std::string_view url = config.database_url;
  if (!options.create_database && options.database == nullptr && url.starts_with("sqlite:") &&
      !std::filesystem::exists(std::filesystem::path(url.substr(7)))) {
    return InvalidArgument("no database at " + std::string(url.substr(7)));
  }
  if (options.database != nullptr) {
    city->db_ = options.database;
  } else {
    CITYCODE_ASSIGN_OR_RETURN(
        city->owned_db_,
        store::Database::Open(url, {.pool_size = config.database_pool_size,
                                    .connect_whole_pool = options.connect_whole_pool}));
    city->db_ = city->owned_db_.get();
  }
  CITYCODE_ASSIGN_OR_RETURN(city->keyring_, options.create_keyring
                                                ? platform::Keyring::LoadOrCreate(
                                                      config.keyring_file, config.cipher_profile)
                                                : platform::Keyring::Load(config.keyring_file));
  CITYCODE_ASSIGN_OR_RETURN(
      city->platform_,
      platform::Platform::Open(*city->db_, clock, *city->keyring_, config.platform));
  vault::VaultOptions vault_options = config.vault;
  vault_options.time = config.time;
  CITYCODE_ASSIGN_OR_RETURN(city->vault_, vault::Vault::Open(*city->db_, clock, *city->platform_,
                                                             *city->keyring_, vault_options));
  CITYCODE_ASSIGN_OR_RETURN(city->outbox_, outbox::Outbox::Open(*city->db_, clock, config.outbox));
  CITYCODE_RETURN_IF_ERROR(city->OpenScenes(config, clock, options));
  return city;
}

Status City::OpenScenes(const CityConfig& config, const Clock& clock, const OpenOptions& options) {
  const api::SceneContext context{.db = *db_,
                                  .clock = clock,
                                  .platform = *platform_,
                                  .vault = *vault_,
                                  .time = config.time,
                                  .keyring = *keyring_,
                                  .outbox = outbox_.get()};
  const std::vector<std::unique_ptr<api::SceneModule>> modules =
      options.scene_list ? options.scene_list() : scenes::AllSceneModules();
  for (const auto& section : config.scenes) {
    const std::string& name = section.first;
    if (std::none_of(modules.begin(), modules.end(),
                     [&](const auto& module) { return module->name() == name; })) {
      return InvalidArgument("config: unknown section [" + name + "]");
    }
  }
  static const ConfigTable kNoSettings;
  for (const auto& module : modules) {
    const std::string name(module->name());
    auto settings = config.scenes.find(name);
    ConfigSection section(name, settings == config.scenes.end() ? kNoSettings : settings->second);
    CITYCODE_RETURN_IF_ERROR(module->Configure(section));
    CITYCODE_RETURN_IF_ERROR(section.CheckAllRead());
    CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<api::Scene> scene, module->Open(context));
    if (scene == nullptr) continue;  // off: not registered at all
    scene_names_.push_back(name);
    scenes_.push_back(std::move(scene));
  }
  return OkStatus();
}

}  // namespace citycode::city
