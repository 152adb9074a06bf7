// Metrics without a lock on the hot path.
//
// Observe() runs once per response on every I/O thread. Route names live in
// a fixed-size open-addressing table whose slots are claimed once with a
// compare-and-swap and never move or disappear, so a lookup is a hash, a
// probe and a string compare. Each route's counters are split into shards,
// one per thread (modulo kShards) and a cache line apart, so threads do not
// bounce one line between cores; Render() adds the shards up. Status codes
// are counted in a small per-shard table claimed the same way.
//
// Application gauges and counters use a second table of the same kind, so
// they too may be set from handlers on every request.
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/http.h"

namespace citycode::server {
namespace {

constexpr std::array<std::int64_t, 12> kBoundsNs = {
    500'000,    1'000'000,   2'500'000,   5'000'000,   10'000'000,    25'000'000,
    50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000,
};
constexpr std::array<std::string_view, 12> kBoundLabels = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
};
constexpr std::size_t kBuckets = kBoundsNs.size() + 1;  // the last is +Inf
constexpr std::size_t kShards = 8;                      // power of two
constexpr std::size_t kCodeSlots = 16;                  // distinct codes per route
constexpr std::size_t kRouteSlots = 512;                // power of two
constexpr std::size_t kScalarSlots = 1024;              // power of two
constexpr std::string_view kOverflowRoute = "overflow";

std::size_t ShardIndex() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t index =
      next.fetch_add(1, std::memory_order_relaxed) & (kShards - 1);
  return index;
}

struct CodeCount {
  std::atomic<std::uint32_t> code{0};  // 0: free
  std::atomic<std::uint64_t> count{0};
};

struct alignas(64) Shard {
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets{};
  std::atomic<std::uint64_t> sum_ns{0};
  std::array<CodeCount, kCodeSlots> codes{};
  std::atomic<std::uint64_t> other_codes{0};  // when `codes` is full

  void CountCode(std::uint32_t code) {
    for (std::size_t probe = 0; probe < kCodeSlots; ++probe) {
      CodeCount& slot = codes[(code + probe) % kCodeSlots];
      std::uint32_t seen = slot.code.load(std::memory_order_relaxed);
      if (seen == 0 && slot.code.compare_exchange_strong(seen, code, std::memory_order_relaxed)) {
        seen = code;
      }
      if (seen == code) {
        slot.count.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    }
    other_codes.fetch_add(1, std::memory_order_relaxed);
  }
};

struct RouteStats {
  std::array<Shard, kShards> shards;
};

enum class ScalarKind { kGauge, kCounter };

struct Scalar {
  ScalarKind kind = ScalarKind::kGauge;
  std::string help;
  std::atomic<double> value{0};
};

// Names to values; slots are claimed once and never freed. Find() returns
// nullptr only when the table is full.
template <typename Value>
class NameTable {
 public:
  explicit NameTable(std::size_t capacity)
      : slots_(std::make_unique<Slot[]>(capacity)), capacity_(capacity) {}

  // `init` runs once, on the claiming thread, before the slot is published.
  template <typename Init>
  Value* Find(std::string_view name, Init&& init) {
    const std::size_t hash = std::hash<std::string_view>{}(name);
    for (std::size_t probe = 0; probe < capacity_; ++probe) {
      Slot& slot = slots_[(hash + probe) & (capacity_ - 1)];
      int state = slot.state.load(std::memory_order_acquire);
      if (state == kFree) {
        if (slot.state.compare_exchange_strong(state, kClaimed, std::memory_order_acquire)) {
          slot.hash = hash;
          slot.name.assign(name);
          slot.value = std::make_unique<Value>();
          init(*slot.value);
          slot.state.store(kReady, std::memory_order_release);
          return slot.value.get();
        }
      }
      // Another thread is filling this slot in; it takes microseconds.
      while (state == kClaimed) {
        std::this_thread::yield();
        state = slot.state.load(std::memory_order_acquire);
      }
      if (slot.hash == hash && slot.name == name) return slot.value.get();
    }
    return nullptr;
  }

  // Calls f(name, value) for every published slot.
  template <typename F>
  void ForEach(F&& f) const {
    for (std::size_t i = 0; i < capacity_; ++i) {
      const Slot& slot = slots_[i];
      if (slot.state.load(std::memory_order_acquire) == kReady) f(slot.name, *slot.value);
    }
  }

 private:
  static constexpr int kFree = 0, kClaimed = 1, kReady = 2;
  struct Slot {
    std::atomic<int> state{kFree};
    std::size_t hash = 0;
    std::string name;
    std::unique_ptr<Value> value;
  };
  std::unique_ptr<Slot[]> slots_;
  std::size_t capacity_;
};

void AppendUint(std::string* out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

void AppendDouble(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "NaN";
  } else if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out->append(buf, end);
  }
}

// Label values escape backslash, quote and newline; HELP text the first and
// last of these.
void AppendEscaped(std::string* out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && quote) {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string_view Family(std::string_view name) { return name.substr(0, name.find('{')); }

}  // namespace

struct Metrics::Impl {
  NameTable<RouteStats> routes{kRouteSlots};
  NameTable<Scalar> scalars{kScalarSlots};
  RouteStats overflow;  // routes beyond kRouteSlots

  RouteStats* Route(std::string_view name) {
    RouteStats* stats = routes.Find(name, [](RouteStats&) {});
    return stats != nullptr ? stats : &overflow;
  }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::Observe(std::string_view route, int status, std::chrono::nanoseconds latency) {
  Shard& shard = impl_->Route(route)->shards[ShardIndex()];
  const std::int64_t ns = std::max<std::int64_t>(latency.count(), 0);
  std::size_t bucket = 0;
  while (bucket < kBoundsNs.size() && ns > kBoundsNs[bucket]) ++bucket;
  shard.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  shard.sum_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
  shard.CountCode(status >= 100 && status <= 999 ? static_cast<std::uint32_t>(status) : 999);
}

void Metrics::SetGauge(std::string name, std::string help, double value) {
  Scalar* s = impl_->scalars.Find(name, [&](Scalar& fresh) {
    fresh.kind = ScalarKind::kGauge;
    fresh.help = std::move(help);
  });
  if (s != nullptr && s->kind == ScalarKind::kGauge) s->value.store(value);
}

void Metrics::AddCounter(std::string name, std::string help, double delta) {
  Scalar* s = impl_->scalars.Find(name, [&](Scalar& fresh) {
    fresh.kind = ScalarKind::kCounter;
    fresh.help = std::move(help);
  });
  if (s != nullptr && s->kind == ScalarKind::kCounter) s->value.fetch_add(delta);
}

namespace {

struct RouteTotals {
  std::array<std::uint64_t, kBuckets> buckets{};
  std::uint64_t sum_ns = 0;
  std::map<std::uint32_t, std::uint64_t> codes;
  std::uint64_t other_codes = 0;
};
using RouteTotalsByName = std::map<std::string, RouteTotals, std::less<>>;

// Sums a route's shards into `totals`.
void AddRouteStats(RouteTotals& totals, const RouteStats& stats) {
  for (const Shard& shard : stats.shards) {
    for (std::size_t b = 0; b < kBuckets; ++b) {
      totals.buckets[b] += shard.buckets[b].load(std::memory_order_relaxed);
    }
    totals.sum_ns += shard.sum_ns.load(std::memory_order_relaxed);
    for (const CodeCount& c : shard.codes) {
      const std::uint32_t code = c.code.load(std::memory_order_relaxed);
      if (code != 0) totals.codes[code] += c.count.load(std::memory_order_relaxed);
    }
    totals.other_codes += shard.other_codes.load(std::memory_order_relaxed);
  }
}

void RenderRequestCounts(std::string& out, const RouteTotalsByName& routes) {
  out +=
      "# HELP citycode_http_requests_total HTTP responses by route and status code.\n"
      "# TYPE citycode_http_requests_total counter\n";
  for (const auto& route : routes) {
    const auto& name = route.first;
    const auto& totals = route.second;
    auto line = [&](std::string_view code, std::uint64_t count) {
      out += "citycode_http_requests_total{route=\"";
      AppendEscaped(&out, name, true);
      out += "\",code=\"";
      out += code;
      out += "\"} ";
      AppendUint(&out, count);
      out += '\n';
    };
    for (const auto& [code, count] : totals.codes) line(std::to_string(code), count);
    if (totals.other_codes != 0) line("other", totals.other_codes);
  }
}

void RenderDurations(std::string& out, const RouteTotalsByName& routes) {
  out +=
      "# HELP citycode_http_request_duration_seconds Time from a complete request to its "
      "response being sent.\n"
      "# TYPE citycode_http_request_duration_seconds histogram\n";
  for (const auto& [name, totals] : routes) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) cumulative += totals.buckets[b];
    if (cumulative == 0) continue;  // the overflow route, normally
    cumulative = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      cumulative += totals.buckets[b];
      out += "citycode_http_request_duration_seconds_bucket{route=\"";
      AppendEscaped(&out, name, true);
      out += "\",le=\"";
      out += b < kBoundLabels.size() ? kBoundLabels[b] : std::string_view("+Inf");
      out += "\"} ";
      AppendUint(&out, cumulative);
      out += '\n';
    }
    for (std::string_view suffix : {"_sum", "_count"}) {
      out += "citycode_http_request_duration_seconds";
      out += suffix;
      out += "{route=\"";
      AppendEscaped(&out, name, true);
      out += "\"} ";
      if (suffix == "_sum") {
        AppendDouble(&out, static_cast<double>(totals.sum_ns) / 1e9);
      } else {
        AppendUint(&out, cumulative);
      }
      out += '\n';
    }
  }
}

struct ScalarRow {
  std::string_view family;
  std::string_view name;
  const Scalar* scalar;
};

// Application metrics, grouped by family so that HELP and TYPE come once
// before all of a family's label sets.
void RenderScalars(std::string& out, std::vector<ScalarRow> rows) {
  std::sort(rows.begin(), rows.end(), [](const ScalarRow& a, const ScalarRow& b) {
    return a.family != b.family ? a.family < b.family : a.name < b.name;
  });
  std::string_view family;
  for (const ScalarRow& row : rows) {
    if (row.family != family) {
      family = row.family;
      out += "# HELP ";
      out += family;
      out += ' ';
      AppendEscaped(&out, row.scalar->help, false);
      out += "\n# TYPE ";
      out += family;
      out += row.scalar->kind == ScalarKind::kGauge ? " gauge\n" : " counter\n";
    }
    out += row.name;
    out += ' ';
    AppendDouble(&out, row.scalar->value.load(std::memory_order_relaxed));
    out += '\n';
  }
}

}  // namespace

std::string Metrics::Render() const {
  RouteTotalsByName routes;
  impl_->routes.ForEach([&](std::string_view name, const RouteStats& stats) {
    AddRouteStats(routes[std::string(name)], stats);
  });
  AddRouteStats(routes[std::string(kOverflowRoute)], impl_->overflow);
  std::vector<ScalarRow> scalars;
  impl_->scalars.ForEach([&](std::string_view name, const Scalar& scalar) {
    if (ValidMetricName(Family(name))) scalars.push_back({Family(name), name, &scalar});
  });
  std::string out;
  out.reserve(4096);
  RenderRequestCounts(out, routes);
  RenderDurations(out, routes);
  RenderScalars(out, std::move(scalars));
  return out;
}

}  // namespace citycode::server
