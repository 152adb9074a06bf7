#include "scenes/scene_list.h"

#include <gtest/gtest.h>

#include <set>

#include "store/database.h"

namespace citycode::scenes {
namespace {

// Names are config sections and log names; kinds are CC1 scene numbers;
// migration blocks are version ranges in one schema_migrations table.
TEST(SceneListTest, NamesKindsAndMigrationBlocksAreDistinct) {
  std::set<std::string> names;
  std::set<code::Scene> kinds;
  std::set<int> blocks;
  for (const auto& module : AllSceneModules()) {
    EXPECT_TRUE(names.emplace(module->name()).second) << module->name();
    EXPECT_TRUE(kinds.insert(module->kind()).second) << module->name();
    EXPECT_TRUE(blocks.insert(module->migration_block()).second) << module->name();
    // Below 2000 are the platform's and the vault's blocks, 9000 the outbox's.
    EXPECT_GE(module->migration_block(), 2 * store::kMigrationBlock) << module->name();
    EXPECT_LT(module->migration_block(), 9 * store::kMigrationBlock) << module->name();
    EXPECT_EQ(module->migration_block() % store::kMigrationBlock, 0) << module->name();
    EXPECT_EQ(code::SceneName(module->kind()), module->name());
  }
  EXPECT_EQ(names, (std::set<std::string>{"gov", "transit", "medical", "hotel", "access"}));
}

}  // namespace
}  // namespace citycode::scenes
