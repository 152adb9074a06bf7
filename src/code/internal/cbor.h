// Thin RAII layer over libcbor with the strict decoding CC1 requires.
//
// Strict means: the whole input is one data item; only definite lengths; no
// duplicate map keys; at most `max_depth` nested arrays/maps/tags; and every
// declared array/map/string length is checked against the bytes that remain
// *before* libcbor allocates for it, so a hostile length cannot exhaust
// memory. Anything else is invalid_argument. Floats and simple values are
// valid CBOR and accepted; the readers below just do not return them as ints.
// Decoding never throws; for any input, however hostile, the memory it takes
// is a small multiple of the input's size.
#ifndef CITYCODE_CODE_INTERNAL_CBOR_H_
#define CITYCODE_CODE_INTERNAL_CBOR_H_

#include <cbor.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace citycode::code::internal {

struct CborDeleter {
  void operator()(cbor_item_t* item) const {
    if (item != nullptr) cbor_decref(&item);
  }
};
// Owns one reference to a libcbor item.
using CborPtr = std::unique_ptr<cbor_item_t, CborDeleter>;

struct CborLimits {
  std::size_t max_bytes = 8 * 1024;  // whole encoded item
  std::size_t max_depth = 8;         // nesting of arrays, maps and tags
};

// One strict data item from `bytes`. invalid_argument for anything that is
// not (see above) or exceeds `limits`; internal only if libcbor runs out of
// memory.
Result<CborPtr> DecodeStrict(ByteView bytes, const CborLimits& limits = {});

// Definite-length encoding of `item` (deterministic when maps were built with
// keys in RFC 8949 §4.2.1 order, which the builders below leave to the caller).
Bytes Encode(const cbor_item_t& item);

// Builders. They abort on allocation failure (resource exhaustion).
// Integers use their shortest encoding.
CborPtr MakeInt(std::int64_t value);
CborPtr MakeBytes(ByteView value);
CborPtr MakeText(std::string_view value);
CborPtr MakeArray(std::size_t capacity);
CborPtr MakeMap(std::size_t capacity);
CborPtr MakeTag(std::uint64_t tag, CborPtr item);
// Append to an array / map made above. REQUIRES: fewer items (pairs) than
// the capacity it was made with; a full container is a bug and aborts.
// Fewer items than the capacity is fine: only the items put are encoded.
void ArrayPush(cbor_item_t& array, CborPtr item);
void MapPut(cbor_item_t& map, CborPtr key, CborPtr value);

// Readers: nullopt when `item` is not of that type (or out of range).
std::optional<std::int64_t> AsInt(const cbor_item_t& item);       // major types 0 and 1
std::optional<ByteView> AsBytes(const cbor_item_t& item);         // definite bstr
std::optional<std::string_view> AsText(const cbor_item_t& item);  // definite tstr
// The value under integer key `key` in a map, or nullptr (also when `map`
// is not a map). Borrowed: valid while `map` lives.
const cbor_item_t* MapFind(const cbor_item_t& map, std::int64_t key);
// The item under a tag, or nullptr when `item` is not a tag. Borrowed, unlike
// libcbor's cbor_tag_item, which returns a new reference.
const cbor_item_t* TagItem(const cbor_item_t& item);

// One data item's head, as CborReader reports it.
struct CborHead {
  enum class Kind { kUint, kNegint, kBytes, kText, kArray, kMap, kTag, kOther };
  Kind kind = Kind::kOther;
  // kUint: the value; kNegint: n where the value is -1 - n; kArray, kMap:
  // the number of items or pairs that follow; kTag: the tag number.
  std::uint64_t value = 0;
  ByteView bytes;  // kBytes, kText: the content (a view into the input)
};

// A pull parser over libcbor's streaming decoder for the hot paths that read
// one fixed, known shape (credential claims, presentation fields): it builds
// no item tree and allocates nothing. It reads heads one by one; the caller
// checks the shape, so declared counts are never trusted for allocation.
// Indefinite lengths are refused like in DecodeStrict.
class CborReader {
 public:
  explicit CborReader(ByteView input) : input_(input) {}
  // Reads the next head into `head`; false at the end of the input or on a
  // malformed, truncated or indefinite-length head.
  bool Next(CborHead& head);
  bool AtEnd() const { return offset_ == input_.size(); }

 private:
  ByteView input_;
  std::size_t offset_ = 0;
};

// The integer a kUint or kNegint head carries, if it fits an int64.
std::optional<std::int64_t> AsInt(const CborHead& head);

}  // namespace citycode::code::internal

#endif  // CITYCODE_CODE_INTERNAL_CBOR_H_
