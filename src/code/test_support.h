// For the code module's tests: reading a COSE_Sign1's unprotected header in
// conformance tests. CC1 never reads it (alg must be protected); some
// third-party vectors put alg there.
#ifndef CITYCODE_CODE_TEST_SUPPORT_H_
#define CITYCODE_CODE_TEST_SUPPORT_H_

#include <cstdint>
#include <optional>

#include "code/internal/cbor.h"
#include "common/bytes.h"

namespace citycode::testing {

// The integer alg (label 1) of the unprotected header, if any.
inline std::optional<std::int64_t> UnprotectedAlg(ByteView message) {
  Result<code::internal::CborPtr> root = code::internal::DecodeStrict(message);
  if (!root.ok()) return std::nullopt;
  const cbor_item_t* body = root->get();
  if (cbor_isa_tag(body)) body = code::internal::TagItem(*body);
  if (body == nullptr || !cbor_isa_array(body) || cbor_array_size(body) != 4) return std::nullopt;
  const cbor_item_t* alg = code::internal::MapFind(*cbor_array_handle(body)[1], 1);
  return alg == nullptr ? std::nullopt : code::internal::AsInt(*alg);
}

}  // namespace citycode::testing

#endif  // CITYCODE_CODE_TEST_SUPPORT_H_
