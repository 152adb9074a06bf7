// The demo city (src/demo) seeds the platform and the vault — its
// organisations, terminals, citizens and certificates — then hands each
// opened scene a DemoSeed to seed the scene's own setup (a hall's service
// items and windows, a hospital's schedules …) through the scene's use
// cases, so demo data obeys every rule real data does.
#ifndef CITYCODE_API_DEMO_SEED_H_
#define CITYCODE_API_DEMO_SEED_H_

#include <string>
#include <vector>

#include "platform/platform.h"
#include "vault/vault.h"

namespace citycode::api {

struct DemoOrganisation {
  std::string id;
  std::string name;
  platform::OrgKind kind = platform::OrgKind::kServiceHall;
};

// A terminal the demo prints with its key (kept in demo.json).
struct DemoTerminal {
  std::string org_name;
  std::string site_name;
  std::string scene;
  std::string api_key;
  std::string name;  // "… 1" (a gate, a kiosk, a front desk) or "… 3号窗口" (a hall window)
};

// A line the demo prints under its label: {"Hall item", "户口迁移: item_…"}.
struct DemoNote {
  std::string label;
  std::string text;
};

struct DemoSeed {
  platform::Platform& platform;
  vault::Vault& vault;
  // Every demo organisation (all marked demo), each with a site and a
  // terminal already.
  std::vector<DemoOrganisation> organisations;
  // The demo citizen whose phone shows a live code (verified; a guardian).
  std::string citizen_id;
  // A scene adds the terminals it creates and the lines worth printing.
  std::vector<DemoTerminal> terminals;
  std::vector<DemoNote> notes;
};

}  // namespace citycode::api

#endif  // CITYCODE_API_DEMO_SEED_H_
