// Reading the [outbox] sections of citycode.toml (destination.h).
#include "outbox/destination.h"

#include <algorithm>
#include <charconv>

#include "common/files.h"

namespace citycode::outbox {
namespace {

constexpr std::size_t kMaxScheduleSteps = 20;
constexpr std::size_t kMaxDestinations = 32;
constexpr std::size_t kMaxKeysPerList = 8;
constexpr std::size_t kMaxKeyFileBytes = 16 * 1024;
constexpr std::chrono::seconds kMaxStep = std::chrono::hours(24 * 7);

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::vector<std::string_view> Words(std::string_view text) {
  // Newlines too: a key file holds one key a line.
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find_first_of(" \t\r\n,", start);
    const std::size_t stop = end == std::string_view::npos ? text.size() : end;
    if (stop > start) words.push_back(text.substr(start, stop - start));
    start = stop + 1;
  }
  return words;
}

Result<std::chrono::seconds> ParseStep(std::string_view word) {
  if (word.size() < 2) return InvalidArgument("bad step");
  std::int64_t count = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size() - 1, count);
  if (error != std::errc() || end != word.data() + word.size() - 1 || count < 0) {
    return InvalidArgument("bad step");
  }
  std::int64_t unit = 0;
  switch (word.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return InvalidArgument("bad step");
  }
  if (count > kMaxStep.count() / unit) return InvalidArgument("step too long");
  return std::chrono::seconds(count * unit);
}

// The keys of `key` (inline, space-separated) and of `key`_file (a file
// holding them, so they need not sit in citycode.toml).
Result<std::vector<std::string>> ReadKeyList(ConfigSection& section, const std::string& key) {
  std::string inline_keys;
  std::filesystem::path file;
  CITYCODE_RETURN_IF_ERROR(section.Read(key, inline_keys));
  CITYCODE_RETURN_IF_ERROR(section.Read(key + "_file", file));
  std::vector<std::string> keys;
  for (std::string_view word : Words(inline_keys)) keys.emplace_back(word);
  if (!file.empty()) {
    auto text = ReadFile(file, kMaxKeyFileBytes);
    if (!text.ok()) return section.Invalid(key + "_file", "a readable file of at most 16 KiB");
    for (std::string_view word : Words(*text)) keys.emplace_back(word);
  }
  if (keys.size() > kMaxKeysPerList) return section.Invalid(key, "at most 8 keys in all");
  return keys;
}

Status ReadSigner(ConfigSection& section, WebhookSigner& signer) {
  CITYCODE_ASSIGN_OR_RETURN(auto secrets, ReadKeyList(section, "secrets"));
  CITYCODE_ASSIGN_OR_RETURN(auto signing_keys, ReadKeyList(section, "signing_keys"));
  for (const std::string& word : secrets) {
    auto secret = ParseSecret(word);
    if (!secret.ok()) return section.Invalid("secrets", "whsec_<base64 of 24-64 bytes> ...");
    signer.secrets.push_back(std::move(*secret));
  }
  for (const std::string& word : signing_keys) {
    auto key = ParseSigningKey(word);
    if (!key.ok()) return section.Invalid("signing_keys", "whsk_<base64 Ed25519 key> ...");
    signer.signing_keys.push_back(std::move(*key));
  }
  if (signer.empty()) {
    return section.Invalid("secrets", "set (or signing_keys): nothing is sent unsigned");
  }
  return OkStatus();
}

Result<DestinationConfig> ReadDestination(const std::string& name, const ConfigTable& table) {
  ConfigSection section("outbox." + name, table);
  if (!IsValidName(name)) {
    return InvalidArgument("config: [outbox." + name + "] must be named with a-z, 0-9, _ or -");
  }
  DestinationConfig destination{.name = name};
  std::string schedule;
  std::int64_t timeout_seconds = destination.timeout.count();
  CITYCODE_RETURN_IF_ERROR(section.Read("url", destination.url));
  CITYCODE_RETURN_IF_ERROR(section.Read("retry_schedule", schedule));
  CITYCODE_RETURN_IF_ERROR(section.Read("jitter", destination.jitter));
  CITYCODE_RETURN_IF_ERROR(section.Read("timeout_seconds", timeout_seconds));
  CITYCODE_RETURN_IF_ERROR(ReadSigner(section, destination.signer));
  CITYCODE_RETURN_IF_ERROR(section.CheckAllRead());
  if (!CheckDestinationUrl(destination.url).ok()) {
    return section.Invalid("url", "http://host[:port]/path");
  }
  if (!schedule.empty()) {
    auto steps = ParseRetrySchedule(schedule);
    if (!steps.ok()) return section.Invalid("retry_schedule", "like \"0s 5s 5m 30m 2h\"");
    destination.retry_schedule = std::move(*steps);
  }
  if (!(destination.jitter >= 0 && destination.jitter <= 1)) {
    return section.Invalid("jitter", "between 0 and 1");
  }
  if (timeout_seconds < 1 || timeout_seconds > 300) {
    return section.Invalid("timeout_seconds", "1-300");
  }
  destination.timeout = std::chrono::seconds(timeout_seconds);
  return destination;
}

}  // namespace

std::vector<std::chrono::seconds> DefaultRetrySchedule() {
  using std::chrono::hours, std::chrono::minutes, std::chrono::seconds;
  return {seconds(0), seconds(5), minutes(5), minutes(30),
          hours(2),   hours(5),   hours(10),  hours(24)};
}

Result<std::vector<std::chrono::seconds>> ParseRetrySchedule(std::string_view text) {
  if (text.size() > 1000) return InvalidArgument("retry schedule too long");
  std::vector<std::chrono::seconds> steps;
  for (std::string_view word : Words(text)) {
    CITYCODE_ASSIGN_OR_RETURN(steps.emplace_back(), ParseStep(word));
  }
  if (steps.empty() || steps.size() > kMaxScheduleSteps) {
    return InvalidArgument("a retry schedule has 1-20 steps");
  }
  return steps;
}

Status CheckDestinationUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme) || url.size() > 2000) {
    return InvalidArgument("a destination URL must be http://host[:port]/path");
  }
  const std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.empty() || authority.front() == ':' ||
      authority.find_first_of("@ \t\r\n") != std::string_view::npos ||
      rest.find_first_of(" \t\r\n") != std::string_view::npos) {
    return InvalidArgument("a destination URL must be http://host[:port]/path");
  }
  return OkStatus();
}

Result<OutboxConfig> ReadOutboxConfig(
    const ConfigTable& outbox,
    const std::map<std::string, ConfigTable, std::less<>>& destinations) {
  OutboxConfig config;
  ConfigSection section("outbox", outbox);
  std::int64_t poll_seconds = config.poll_interval.count();
  std::int64_t keep_delivered_days = config.keep_delivered.count();
  CITYCODE_RETURN_IF_ERROR(section.Read("workers", config.workers));
  CITYCODE_RETURN_IF_ERROR(section.Read("batch", config.batch));
  CITYCODE_RETURN_IF_ERROR(section.Read("poll_seconds", poll_seconds));
  CITYCODE_RETURN_IF_ERROR(section.Read("keep_delivered_days", keep_delivered_days));
  CITYCODE_RETURN_IF_ERROR(section.CheckAllRead());
  if (config.workers < 1 || config.workers > 64) return section.Invalid("workers", "1-64");
  if (config.batch < 1 || config.batch > 10000) return section.Invalid("batch", "1-10000");
  if (poll_seconds < 1 || poll_seconds > 3600) return section.Invalid("poll_seconds", "1-3600");
  if (keep_delivered_days < 1 || keep_delivered_days > 3650) {
    return section.Invalid("keep_delivered_days", "1-3650");
  }
  config.poll_interval = std::chrono::seconds(poll_seconds);
  config.keep_delivered = std::chrono::days(keep_delivered_days);
  if (destinations.size() > kMaxDestinations) {
    return InvalidArgument("config: at most 32 [outbox.NAME] destinations");
  }
  for (const auto& [name, table] : destinations) {
    CITYCODE_ASSIGN_OR_RETURN(config.destinations.emplace_back(), ReadDestination(name, table));
  }
  return config;
}

}  // namespace citycode::outbox
