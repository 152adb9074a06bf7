// The transit scene as the scene list registers it: the feed, the stored
// rides and the clearing, opened from [transit] of citycode.toml, and the
// routes that expose them (transit_routes.cc).
//
// [transit]
//   feed_dir   the feed folder (GTFS + Fares v2 + the citycode fare
//              extension), loaded at start. Without it the scene is off.
#ifndef CITYCODE_SCENES_TRANSIT_TRANSIT_SCENE_H_
#define CITYCODE_SCENES_TRANSIT_TRANSIT_SCENE_H_

#include <filesystem>
#include <memory>
#include <vector>

#include "api/scene.h"
#include "scenes/transit/bulk_taps.h"
#include "scenes/transit/clearing.h"
#include "scenes/transit/fare_extensions.h"
#include "scenes/transit/gtfs.h"
#include "scenes/transit/ledger.h"
#include "scenes/transit/operators.h"
#include "scenes/transit/rides.h"
#include "scenes/transit/tap_upload.h"

namespace citycode::transit {

class TransitScene final : public api::Scene {
 public:
  // Loads the feed (rows not taken as written are reported on stderr, not
  // refused: `citycode transit import` lists them) and opens the rides and
  // the clearing, applying the migrations.
  static Result<std::unique_ptr<TransitScene>> Open(const api::SceneContext& context,
                                                    const std::filesystem::path& feed_dir);
  ~TransitScene() override;

  std::vector<api::RouteSpec> Routes() override;
  // The rider's taps (transit_routes.cc renders them); taps, trips and
  // charges are kept when the account is deleted: accounting records.
  Result<nlohmann::json> ExportCitizen(std::string_view citizen_id) override;
  Result<std::vector<std::string>> EraseCitizen(std::string_view citizen_id) override;
  // The operating days since `since` (at most a week): trips and charges;
  // and the newest clearing run with its operators.
  Result<nlohmann::json> Dashboard(Instant since) override;

  const Feed& feed() const { return *feed_; }
  const FareOptions& fare_options() const { return fare_options_; }
  platform::Platform& platform() { return platform_; }
  Rides& rides() { return *rides_; }
  BulkTaps& bulk_taps() { return *bulk_taps_; }
  RiderLedger& ledger() { return *ledger_; }
  Clearing& clearing() { return *clearing_; }
  Operators& operators() { return *operators_; }
  TapJudge& tap_judge() { return *tap_judge_; }
  // Binds the demo city's transit operators to the feed's agencies of the
  // same name.
  Status SeedDemo(api::DemoSeed& seed) override;

 private:
  TransitScene(platform::Platform& platform, const Clock& clock, FareOptions fare_options)
      : platform_(platform), clock_(clock), fare_options_(std::move(fare_options)) {}
  // Who runs what (operators.h): the admin's and the operator's routes.
  void AddOperatorRoutes(std::vector<api::RouteSpec>& routes);
  platform::Platform& platform_;
  const Clock& clock_;
  const FareOptions fare_options_;
  // Behind pointers: Rides, BulkTaps and Clearing keep references to them.
  std::unique_ptr<Feed> feed_;
  std::unique_ptr<FareExtensions> extensions_;
  std::unique_ptr<Rides> rides_;
  std::unique_ptr<BulkTaps> bulk_taps_;
  std::unique_ptr<RiderLedger> ledger_;
  std::unique_ptr<Clearing> clearing_;
  std::unique_ptr<Operators> operators_;
  std::unique_ptr<TapJudge> tap_judge_;
};

std::unique_ptr<api::SceneModule> MakeTransitModule();

// `citycode transit …` (transit_commands.cc), added by the module.
void AddTransitCommandsTo(CLI::App& app, api::SceneCommandContext& context,
                          api::CommandAction& action);

}  // namespace citycode::transit

#endif  // CITYCODE_SCENES_TRANSIT_TRANSIT_SCENE_H_
