// Every scene the city can run, in one list. The composition root opens the
// scenes from it, and through it the server serves their routes and runs
// their upkeep; nothing else names a scene. Adding a scene is its folder
// and one line in scene_list.cc (docs/SCENES.md).
#ifndef CITYCODE_SCENES_SCENE_LIST_H_
#define CITYCODE_SCENES_SCENE_LIST_H_

#include <memory>
#include <vector>

#include "api/scene.h"

namespace citycode::scenes {

// A fresh, unconfigured module of each scene, in a fixed order.
std::vector<std::unique_ptr<api::SceneModule>> AllSceneModules();

}  // namespace citycode::scenes

#endif  // CITYCODE_SCENES_SCENE_LIST_H_
