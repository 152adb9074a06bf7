#include "scenes/transit/transit_scene.h"

#include <cstdio>

namespace citycode::transit {
namespace {

class TransitModule final : public api::SceneModule {
 public:
  std::string_view name() const override { return "transit"; }
  code::Scene kind() const override { return code::Scene::kTransit; }
  int migration_block() const override { return 3000; }

  Status Configure(ConfigSection& section) override { return section.Read("feed_dir", feed_dir_); }

  Result<std::unique_ptr<api::Scene>> Open(const api::SceneContext& context) override {
    if (feed_dir_.empty()) return std::unique_ptr<api::Scene>();
    CITYCODE_ASSIGN_OR_RETURN(std::unique_ptr<TransitScene> scene,
                              TransitScene::Open(context, feed_dir_));
    return std::unique_ptr<api::Scene>(std::move(scene));
  }

  void AddCommands(CLI::App& app, api::SceneCommandContext& context,
                   api::CommandAction& action) override {
    AddTransitCommandsTo(app, context, action);
  }

 private:
  std::filesystem::path feed_dir_;
};

}  // namespace

TransitScene::~TransitScene() = default;

Result<std::unique_ptr<TransitScene>> TransitScene::Open(const api::SceneContext& context,
                                                         const std::filesystem::path& feed_dir) {
  const FareOptions options{.time = context.time};
  std::unique_ptr<TransitScene> scene(new TransitScene(context.platform, context.clock, options));
  CITYCODE_ASSIGN_OR_RETURN(Feed feed, LoadFeed(feed_dir));
  scene->feed_ = std::make_unique<Feed>(std::move(feed));
  CITYCODE_ASSIGN_OR_RETURN(FareExtensions extensions, LoadFareExtensions(feed_dir, *scene->feed_));
  scene->extensions_ = std::make_unique<FareExtensions>(std::move(extensions));
  if (const std::size_t issues = scene->feed_->issues.size() + scene->extensions_->issues.size();
      issues > 0) {
    std::fprintf(stderr,
                 "citycode: transit feed %s: %zu rows not loaded as written (see citycode "
                 "transit import)\n",
                 feed_dir.string().c_str(), issues);
  }
  CITYCODE_ASSIGN_OR_RETURN(scene->rides_, Rides::Open(context.db, context.clock, *scene->feed_,
                                                       *scene->extensions_, options));
  CITYCODE_ASSIGN_OR_RETURN(
      scene->bulk_taps_,
      BulkTaps::Open(context.db, context.clock, *scene->feed_, *scene->extensions_, options));
  CITYCODE_ASSIGN_OR_RETURN(scene->ledger_, RiderLedger::Open(context.db, context.clock, options));
  CITYCODE_ASSIGN_OR_RETURN(scene->clearing_,
                            Clearing::Open(context.db, context.clock, *scene->feed_));
  scene->operators_ = std::make_unique<Operators>(context.db, context.platform, *scene->feed_);
  scene->tap_judge_ =
      std::make_unique<TapJudge>(context.db, context.platform, *scene->operators_, *scene->feed_);
  return scene;
}

Status TransitScene::SeedDemo(api::DemoSeed& seed) {
  for (const api::DemoOrganisation& org : seed.organisations) {
    if (org.kind != platform::OrgKind::kTransitOperator) continue;
    for (const auto& [agency_id, agency] : feed_->agencies) {
      if (agency.name == org.name)
        CITYCODE_RETURN_IF_ERROR(operators_->AddAgency(org.id, agency_id));
    }
  }
  return OkStatus();
}

std::unique_ptr<api::SceneModule> MakeTransitModule() { return std::make_unique<TransitModule>(); }

}  // namespace citycode::transit
