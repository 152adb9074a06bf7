// The platform's tables, as versioned migrations (store::Database::Migrate
// applies them at start). Append new versions; never edit a released one.
#ifndef CITYCODE_PLATFORM_SCHEMA_H_
#define CITYCODE_PLATFORM_SCHEMA_H_

#include <span>

#include "store/database.h"

namespace citycode::platform {

std::span<const store::Migration> Migrations();

}  // namespace citycode::platform

#endif  // CITYCODE_PLATFORM_SCHEMA_H_
