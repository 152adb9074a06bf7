#include "code/internal/cbor.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <vector>

namespace citycode::code::internal {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "citycode: libcbor %s failed (out of memory or a full container)\n", what);
  std::abort();
}

CborPtr Own(cbor_item_t* item, const char* what) {
  if (item == nullptr) Die(what);
  return CborPtr(item);
}

// ---------------------------------------------------------------------------
// Validation pass over libcbor's streaming decoder. Each cbor_stream_decode
// call reads one head (plus a definite string's content) and reports it via
// one callback, which only records what it saw; the loop in Validate does the
// bookkeeping with the offset known.

enum class Event { kNone, kLeaf, kContainer, kIndefinite };

struct Seen {
  Event event = Event::kNone;
  std::uint64_t children = 0;  // items a container's head announces
  std::optional<float> half;   // the value of a half-precision float
};

Seen& Of(void* context) { return *static_cast<Seen*>(context); }
void Leaf(void* context) { Of(context).event = Event::kLeaf; }
void Indefinite(void* context) { Of(context).event = Event::kIndefinite; }
void Container(void* context, std::uint64_t children) {
  Of(context).event = Event::kContainer;
  Of(context).children = children;
}

const cbor_callbacks kValidationCallbacks = {
    .uint8 = [](void* c, std::uint8_t) { Leaf(c); },
    .uint16 = [](void* c, std::uint16_t) { Leaf(c); },
    .uint32 = [](void* c, std::uint32_t) { Leaf(c); },
    .uint64 = [](void* c, std::uint64_t) { Leaf(c); },
    .negint64 = [](void* c, std::uint64_t) { Leaf(c); },
    .negint32 = [](void* c, std::uint32_t) { Leaf(c); },
    .negint16 = [](void* c, std::uint16_t) { Leaf(c); },
    .negint8 = [](void* c, std::uint8_t) { Leaf(c); },
    // libcbor calls byte_string_start / string_start for indefinite strings
    // and byte_string / string (after checking the content is there) for
    // definite ones.
    .byte_string_start = [](void* c) { Indefinite(c); },
    .byte_string = [](void* c, cbor_data, std::size_t) { Leaf(c); },
    .string = [](void* c, cbor_data, std::size_t) { Leaf(c); },
    .string_start = [](void* c) { Indefinite(c); },
    .indef_array_start = [](void* c) { Indefinite(c); },
    .array_start = [](void* c, std::size_t n) { Container(c, n); },
    .indef_map_start = [](void* c) { Indefinite(c); },
    .map_start =
        [](void* c, std::size_t n) {
          // Two items per pair; a count this large cannot fit in any input.
          Container(c, n > std::numeric_limits<std::uint64_t>::max() / 2
                           ? std::numeric_limits<std::uint64_t>::max()
                           : std::uint64_t{n} * 2);
        },
    .tag = [](void* c, std::uint64_t) { Container(c, 1); },
    .float2 =
        [](void* c, float value) {
          Leaf(c);
          Of(c).half = value;
        },
    .float4 = [](void* c, float) { Leaf(c); },
    .float8 = [](void* c, double) { Leaf(c); },
    .undefined = [](void* c) { Leaf(c); },
    .null = [](void* c) { Leaf(c); },
    .boolean = [](void* c, bool) { Leaf(c); },
    .indef_break = [](void* c) { Indefinite(c); },
};

// libcbor 0.8's decoder rejects the one-byte heads of tags 6 to 20 (0xC6 to
// 0xD4) as "unassigned", although they are well formed; 0xD2 is COSE_Sign1's
// tag 18. Validate accepts them and DecodeStrict hands libcbor the same item
// with those tags in their two-byte form (0xD8 nn), which it does accept.
bool IsShortTagLibcborRejects(std::uint8_t head) { return head >= 0xC6 && head <= 0xD4; }

// libcbor 0.8 encodes every half-precision NaN as 0x7E00 and truncates
// subnormals to a power of two, so two distinct keys could encode the same:
// only halves it writes back byte for byte are accepted. (Single and double
// precision are written back as read.)
bool HalfEncodesBackExactly(float value, ByteView encoded) {
  std::array<std::uint8_t, 3> again{};
  return cbor_encode_half(value, again.data(), again.size()) == again.size() &&
         std::equal(again.begin(), again.end(), encoded.begin(), encoded.end());
}

// Checks that `bytes` is exactly one well-formed, definite-length item within
// `max_depth`, never trusting a declared count beyond the bytes left. Appends
// to `short_tags` the offsets of the heads IsShortTagLibcborRejects matches.
Status Validate(ByteView bytes, std::size_t max_depth, std::vector<std::size_t>& short_tags) {
  const std::size_t size = bytes.size();
  // Items still to read in each open container; the bottom entry stands for
  // the top-level item, so containers nest `depth - 1` deep. It never holds
  // more than max_depth + 1 entries, nor more than one per input byte + 1.
  const std::size_t capacity = std::min(max_depth, size) + 1;
  std::array<std::uint64_t, 17> inline_stack;
  std::vector<std::uint64_t> heap_stack;
  std::uint64_t* stack = inline_stack.data();
  if (capacity > inline_stack.size()) {
    heap_stack.resize(capacity);
    stack = heap_stack.data();
  }
  std::size_t depth = 0;
  stack[depth++] = 1;
  std::uint64_t pending = 1;  // sum of the stack: each needs at least one byte
  std::size_t offset = 0;
  while (depth > 0) {
    if (pending > size - offset) return InvalidArgument("CBOR input is truncated");
    Seen seen;
    const cbor_decoder_result result =
        cbor_stream_decode(bytes.data() + offset, size - offset, &kValidationCallbacks, &seen);
    if (result.status == CBOR_DECODER_FINISHED && seen.event != Event::kNone) {
      offset += result.read;
    } else if (result.status == CBOR_DECODER_ERROR && IsShortTagLibcborRejects(bytes[offset])) {
      short_tags.push_back(offset);
      Container(&seen, 1);
      offset += 1;
    } else if (result.status == CBOR_DECODER_NEDATA) {
      return InvalidArgument("CBOR input is truncated");
    } else {
      return InvalidArgument("CBOR input is malformed");
    }
    if (seen.event == Event::kIndefinite) {
      return InvalidArgument("CBOR indefinite lengths are not allowed");
    }
    if (seen.half && !HalfEncodesBackExactly(*seen.half, bytes.subspan(offset - 3, 3))) {
      return InvalidArgument("CBOR half-precision float that libcbor cannot encode back");
    }
    --stack[depth - 1];
    --pending;
    if (seen.event == Event::kContainer) {
      if (depth > max_depth) return InvalidArgument("CBOR input is nested too deeply");
      if (pending > size - offset || seen.children > size - offset - pending) {
        return InvalidArgument("CBOR declared length exceeds the input");
      }
      if (seen.children > 0) {
        stack[depth++] = seen.children;
        pending += seen.children;
      }
    }
    while (depth > 0 && stack[depth - 1] == 0) --depth;
  }
  if (offset != size) return InvalidArgument("CBOR input has trailing bytes");
  return OkStatus();
}

// ---------------------------------------------------------------------------
// Duplicate map keys. Keys are compared as values (a non-shortest integer
// head is the same key as the shortest one), with a total order so that
// large maps can be sorted; maps used as keys compare pair by pair in order.

int Compare(const cbor_item_t* a, const cbor_item_t* b);

template <typename T, typename Less = std::less<T>>
int Three(T a, T b, Less less = Less()) {
  return less(a, b) ? -1 : (less(b, a) ? 1 : 0);
}

int CompareBytes(const unsigned char* a, std::size_t a_len, const unsigned char* b,
                 std::size_t b_len) {
  if (a_len != b_len) return Three(a_len, b_len);
  if (a_len == 0) return 0;
  return std::memcmp(a, b, a_len);
}

int Compare(const cbor_item_t* a, const cbor_item_t* b) {
  if (a == b) return 0;
  if (a == nullptr || b == nullptr) return a == nullptr ? -1 : 1;
  const cbor_type type = cbor_typeof(a);
  if (type != cbor_typeof(b)) {
    return Three(static_cast<int>(type), static_cast<int>(cbor_typeof(b)));
  }
  switch (type) {
    case CBOR_TYPE_UINT:
    case CBOR_TYPE_NEGINT: return Three(cbor_get_int(a), cbor_get_int(b));
    case CBOR_TYPE_BYTESTRING:
      if (cbor_bytestring_is_indefinite(a) || cbor_bytestring_is_indefinite(b)) {
        return Three(a, b, std::less<>());  // never after DecodeStrict
      }
      return CompareBytes(cbor_bytestring_handle(a), cbor_bytestring_length(a),
                          cbor_bytestring_handle(b), cbor_bytestring_length(b));
    case CBOR_TYPE_STRING:
      if (cbor_string_is_indefinite(a) || cbor_string_is_indefinite(b)) {
        return Three(a, b, std::less<>());
      }
      return CompareBytes(cbor_string_handle(a), cbor_string_length(a), cbor_string_handle(b),
                          cbor_string_length(b));
    case CBOR_TYPE_ARRAY: {
      const std::size_t n = cbor_array_size(a);
      if (n != cbor_array_size(b)) return Three(n, cbor_array_size(b));
      for (std::size_t i = 0; i < n; ++i) {
        if (const int c = Compare(cbor_array_handle(a)[i], cbor_array_handle(b)[i]); c != 0) {
          return c;
        }
      }
      return 0;
    }
    case CBOR_TYPE_MAP: {
      const std::size_t n = cbor_map_size(a);
      if (n != cbor_map_size(b)) return Three(n, cbor_map_size(b));
      const cbor_pair* pa = cbor_map_handle(a);
      const cbor_pair* pb = cbor_map_handle(b);
      for (std::size_t i = 0; i < n; ++i) {
        if (const int c = Compare(pa[i].key, pb[i].key); c != 0) return c;
        if (const int c = Compare(pa[i].value, pb[i].value); c != 0) return c;
      }
      return 0;
    }
    case CBOR_TYPE_TAG:
      if (cbor_tag_value(a) != cbor_tag_value(b)) {
        return Three(cbor_tag_value(a), cbor_tag_value(b));
      }
      return Compare(TagItem(*a), TagItem(*b));
    case CBOR_TYPE_FLOAT_CTRL: {
      const bool a_ctrl = cbor_float_ctrl_is_ctrl(a);
      if (a_ctrl != cbor_float_ctrl_is_ctrl(b)) return a_ctrl ? -1 : 1;
      if (a_ctrl) return Three(cbor_ctrl_value(a), cbor_ctrl_value(b));
      // The same number at different widths is the same value.
      const double da = cbor_float_get_float(a);
      const double db = cbor_float_get_float(b);
      std::uint64_t ba = 0;
      std::uint64_t bb = 0;
      std::memcpy(&ba, &da, sizeof ba);
      std::memcpy(&bb, &db, sizeof bb);
      return Three(ba, bb);
    }
  }
  return 0;
}

bool HasDuplicateKeys(const cbor_item_t* map) {
  const std::size_t n = cbor_map_size(map);
  const cbor_pair* pairs = cbor_map_handle(map);
  constexpr std::size_t kPairwiseUpTo = 8;
  if (n <= kPairwiseUpTo) {
    for (std::size_t i = 1; i < n; ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (Compare(pairs[i].key, pairs[j].key) == 0) return true;
      }
    }
    return false;
  }
  std::vector<const cbor_item_t*> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = pairs[i].key;
  std::sort(keys.begin(), keys.end(),
            [](const cbor_item_t* a, const cbor_item_t* b) { return Compare(a, b) < 0; });
  for (std::size_t i = 1; i < n; ++i) {
    if (Compare(keys[i - 1], keys[i]) == 0) return true;
  }
  return false;
}

// Depth is bounded by Validate, so the recursion is too.
bool AnyDuplicateKeys(const cbor_item_t* item) {
  if (item == nullptr) return false;
  switch (cbor_typeof(item)) {
    case CBOR_TYPE_ARRAY:
      for (std::size_t i = 0; i < cbor_array_size(item); ++i) {
        if (AnyDuplicateKeys(cbor_array_handle(item)[i])) return true;
      }
      return false;
    case CBOR_TYPE_MAP: {
      if (HasDuplicateKeys(item)) return true;
      const cbor_pair* pairs = cbor_map_handle(item);
      for (std::size_t i = 0; i < cbor_map_size(item); ++i) {
        if (AnyDuplicateKeys(pairs[i].key) || AnyDuplicateKeys(pairs[i].value)) return true;
      }
      return false;
    }
    case CBOR_TYPE_TAG: return AnyDuplicateKeys(TagItem(*item));
    default: return false;
  }
}

// Non-null, so that libcbor never memcpy()s from a null pointer.
const std::uint8_t kEmpty[1] = {0};

}  // namespace

Result<CborPtr> DecodeStrict(ByteView bytes, const CborLimits& limits) {
  if (bytes.size() > limits.max_bytes) return InvalidArgument("CBOR input is too large");
  if (bytes.empty()) return InvalidArgument("CBOR input is empty");
  std::vector<std::size_t> short_tags;
  CITYCODE_RETURN_IF_ERROR(Validate(bytes, limits.max_depth, short_tags));

  // Hand libcbor the short tags it rejects in their two-byte form. The
  // common case, one such tag in front (COSE_Sign1's 18), needs no copy: the
  // rest is loaded and wrapped.
  const bool leading_tag_only = short_tags.size() == 1 && short_tags[0] == 0;
  ByteView input = leading_tag_only ? bytes.subspan(1) : bytes;
  Bytes widened;
  if (!short_tags.empty() && !leading_tag_only) {
    widened.reserve(bytes.size() + short_tags.size());
    std::size_t from = 0;
    for (const std::size_t at : short_tags) {
      widened.insert(widened.end(), bytes.begin() + from, bytes.begin() + at);
      widened.push_back(0xD8);
      widened.push_back(static_cast<std::uint8_t>(bytes[at] - 0xC0));
      from = at + 1;
    }
    widened.insert(widened.end(), bytes.begin() + from, bytes.end());
    input = widened;
  }

  cbor_load_result result{};
  CborPtr item(cbor_load(input.data(), input.size(), &result));
  if (item == nullptr) {
    if (result.error.code == CBOR_ERR_MEMERROR) return Internal("libcbor ran out of memory");
    return InvalidArgument("CBOR input is malformed");
  }
  if (result.read != input.size()) return InvalidArgument("CBOR input has trailing bytes");
  if (leading_tag_only) item = MakeTag(bytes[0] - 0xC0, std::move(item));
  if (AnyDuplicateKeys(item.get())) return InvalidArgument("CBOR map has duplicate keys");
  return item;
}

Bytes Encode(const cbor_item_t& item) {
  Bytes out(256);
  for (;;) {
    const std::size_t written = cbor_serialize(&item, out.data(), out.size());
    if (written != 0) {
      out.resize(written);
      return out;
    }
    if (out.size() > (std::size_t{1} << 30)) Die("cbor_serialize");
    out.resize(out.size() * 2);
  }
}

CborPtr MakeInt(std::int64_t value) {
  if (value >= 0) {
    const auto v = static_cast<std::uint64_t>(value);
    if (v <= 0xFF) return Own(cbor_build_uint8(static_cast<std::uint8_t>(v)), "cbor_build_uint");
    if (v <= 0xFFFF) {
      return Own(cbor_build_uint16(static_cast<std::uint16_t>(v)), "cbor_build_uint");
    }
    if (v <= 0xFFFFFFFF) {
      return Own(cbor_build_uint32(static_cast<std::uint32_t>(v)), "cbor_build_uint");
    }
    return Own(cbor_build_uint64(v), "cbor_build_uint");
  }
  // CBOR stores -1 - value, which is ~value and never overflows.
  const auto n = ~static_cast<std::uint64_t>(value);
  if (n <= 0xFF) return Own(cbor_build_negint8(static_cast<std::uint8_t>(n)), "cbor_build_negint");
  if (n <= 0xFFFF) {
    return Own(cbor_build_negint16(static_cast<std::uint16_t>(n)), "cbor_build_negint");
  }
  if (n <= 0xFFFFFFFF) {
    return Own(cbor_build_negint32(static_cast<std::uint32_t>(n)), "cbor_build_negint");
  }
  return Own(cbor_build_negint64(n), "cbor_build_negint");
}

CborPtr MakeBytes(ByteView value) {
  return Own(cbor_build_bytestring(value.empty() ? kEmpty : value.data(), value.size()),
             "cbor_build_bytestring");
}

CborPtr MakeText(std::string_view value) {
  const char* data = value.empty() ? reinterpret_cast<const char*>(kEmpty) : value.data();
  return Own(cbor_build_stringn(data, value.size()), "cbor_build_stringn");
}

CborPtr MakeArray(std::size_t capacity) {
  return Own(cbor_new_definite_array(capacity), "cbor_new_definite_array");
}

CborPtr MakeMap(std::size_t capacity) {
  return Own(cbor_new_definite_map(capacity), "cbor_new_definite_map");
}

// libcbor takes its own reference to each item it stores (incref); the
// CborPtr arguments then drop the caller's, leaving the container the owner.
CborPtr MakeTag(std::uint64_t tag, CborPtr item) {
  return Own(cbor_build_tag(tag, item.get()), "cbor_build_tag");
}

void ArrayPush(cbor_item_t& array, CborPtr item) {
  if (!cbor_array_push(&array, item.get())) Die("cbor_array_push");
}

void MapPut(cbor_item_t& map, CborPtr key, CborPtr value) {
  if (!cbor_map_add(&map, cbor_pair{.key = key.get(), .value = value.get()})) Die("cbor_map_add");
}

std::optional<std::int64_t> AsInt(const cbor_item_t& item) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (cbor_isa_uint(&item)) {
    const std::uint64_t v = cbor_get_int(&item);
    if (v > kMax) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (cbor_isa_negint(&item)) {
    const std::uint64_t n = cbor_get_int(&item);  // the value is -1 - n
    if (n > kMax) return std::nullopt;
    return -1 - static_cast<std::int64_t>(n);
  }
  return std::nullopt;
}

std::optional<ByteView> AsBytes(const cbor_item_t& item) {
  if (!cbor_isa_bytestring(&item) || !cbor_bytestring_is_definite(&item)) return std::nullopt;
  const std::size_t length = cbor_bytestring_length(&item);
  if (length == 0) return ByteView();
  return ByteView(cbor_bytestring_handle(&item), length);
}

std::optional<std::string_view> AsText(const cbor_item_t& item) {
  if (!cbor_isa_string(&item) || !cbor_string_is_definite(&item)) return std::nullopt;
  const std::size_t length = cbor_string_length(&item);
  if (length == 0) return std::string_view();
  return std::string_view(reinterpret_cast<const char*>(cbor_string_handle(&item)), length);
}

const cbor_item_t* MapFind(const cbor_item_t& map, std::int64_t key) {
  if (!cbor_isa_map(&map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(&map);
  for (std::size_t i = 0; i < cbor_map_size(&map); ++i) {
    if (pairs[i].key == nullptr) continue;
    if (const auto k = AsInt(*pairs[i].key); k && *k == key) return pairs[i].value;
  }
  return nullptr;
}

namespace {

CborHead& HeadOf(void* context) { return *static_cast<CborHead*>(context); }
void SetHead(void* context, CborHead::Kind kind, std::uint64_t value) {
  HeadOf(context).kind = kind;
  HeadOf(context).value = value;
}
void SetString(void* context, CborHead::Kind kind, cbor_data data, std::size_t length) {
  SetHead(context, kind, length);
  HeadOf(context).bytes = ByteView(data, length);
}
void SetOther(void* context) { SetHead(context, CborHead::Kind::kOther, 0); }
// Indefinite-length heads are reported as a kind no caller accepts, and
// Next() refuses them outright.
constexpr std::uint64_t kIndefiniteMarker = ~std::uint64_t{0};
void SetIndefinite(void* context) { SetHead(context, CborHead::Kind::kOther, kIndefiniteMarker); }

const cbor_callbacks kReaderCallbacks = {
    .uint8 = [](void* c, std::uint8_t v) { SetHead(c, CborHead::Kind::kUint, v); },
    .uint16 = [](void* c, std::uint16_t v) { SetHead(c, CborHead::Kind::kUint, v); },
    .uint32 = [](void* c, std::uint32_t v) { SetHead(c, CborHead::Kind::kUint, v); },
    .uint64 = [](void* c, std::uint64_t v) { SetHead(c, CborHead::Kind::kUint, v); },
    .negint64 = [](void* c, std::uint64_t v) { SetHead(c, CborHead::Kind::kNegint, v); },
    .negint32 = [](void* c, std::uint32_t v) { SetHead(c, CborHead::Kind::kNegint, v); },
    .negint16 = [](void* c, std::uint16_t v) { SetHead(c, CborHead::Kind::kNegint, v); },
    .negint8 = [](void* c, std::uint8_t v) { SetHead(c, CborHead::Kind::kNegint, v); },
    .byte_string_start = [](void* c) { SetIndefinite(c); },
    .byte_string = [](void* c, cbor_data d,
                      std::size_t n) { SetString(c, CborHead::Kind::kBytes, d, n); },
    .string = [](void* c, cbor_data d,
                 std::size_t n) { SetString(c, CborHead::Kind::kText, d, n); },
    .string_start = [](void* c) { SetIndefinite(c); },
    .indef_array_start = [](void* c) { SetIndefinite(c); },
    .array_start = [](void* c, std::size_t n) { SetHead(c, CborHead::Kind::kArray, n); },
    .indef_map_start = [](void* c) { SetIndefinite(c); },
    .map_start = [](void* c, std::size_t n) { SetHead(c, CborHead::Kind::kMap, n); },
    .tag = [](void* c, std::uint64_t v) { SetHead(c, CborHead::Kind::kTag, v); },
    .float2 = [](void* c, float) { SetOther(c); },
    .float4 = [](void* c, float) { SetOther(c); },
    .float8 = [](void* c, double) { SetOther(c); },
    .undefined = [](void* c) { SetOther(c); },
    .null = [](void* c) { SetOther(c); },
    .boolean = [](void* c, bool) { SetOther(c); },
    .indef_break = [](void* c) { SetIndefinite(c); },
};

}  // namespace

bool CborReader::Next(CborHead& head) {
  if (offset_ >= input_.size()) return false;
  head = CborHead{.kind = CborHead::Kind::kOther, .value = kIndefiniteMarker};
  const cbor_decoder_result result = cbor_stream_decode(
      input_.data() + offset_, input_.size() - offset_, &kReaderCallbacks, &head);
  // libcbor refuses the one-byte heads of tags 6 to 20 (see
  // IsShortTagLibcborRejects); no reader caller accepts tags, so refusing
  // them here is right too.
  if (result.status != CBOR_DECODER_FINISHED || result.read == 0) return false;
  if (head.kind == CborHead::Kind::kOther && head.value == kIndefiniteMarker) return false;
  offset_ += result.read;
  return true;
}

std::optional<std::int64_t> AsInt(const CborHead& head) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (head.kind == CborHead::Kind::kUint && head.value <= kMax) {
    return static_cast<std::int64_t>(head.value);
  }
  if (head.kind == CborHead::Kind::kNegint && head.value <= kMax) {
    return -1 - static_cast<std::int64_t>(head.value);
  }
  return std::nullopt;
}

const cbor_item_t* TagItem(const cbor_item_t& item) {
  if (!cbor_isa_tag(&item)) return nullptr;
  return item.metadata.tag_metadata.tagged_item;
}

}  // namespace citycode::code::internal
