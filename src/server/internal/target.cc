#include "server/internal/target.h"

#include "api/http_message.h"

namespace citycode::server::internal {
bool ValidEscapes(std::string_view in) {
  std::string decoded;
  return api::PercentDecode(in, /*plus_is_space=*/false, &decoded);
}

bool ParseTarget(std::string_view target, std::string* path,
                 std::map<std::string, std::string>* query) {
  if (target.empty() || target.front() != '/') return false;
  const std::size_t q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  if (!ValidEscapes(raw_path)) return false;
  path->assign(raw_path);
  if (q == std::string_view::npos) return true;

  std::string_view rest = target.substr(q + 1);
  // A fragment is never sent by conforming clients; ignore one if it is.
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  return api::ParseForm(rest, query);
}

}  // namespace citycode::server::internal
