// libFuzzer target: citycode.toml (city/config_file.cc through toml++), as
// `citycode serve --config` reads it, from a file in /dev/shm. Reading it
// must never crash or throw, whatever the text.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "city/city.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path =
      "/dev/shm/citycode-fuzz-config-" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  citycode::city::CityConfig config;
  (void)citycode::city::LoadConfigFile(path, config);
  return 0;
}
