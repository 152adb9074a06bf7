#include "api/scene_commands.h"

#include <iostream>

namespace citycode::api {

int FailCommand(const Status& status) {
  std::cerr << "citycode: " << status.message() << "\n";
  return kExitUsage;
}

}  // namespace citycode::api
