// Message digests.
#ifndef CITYCODE_CRYPTO_HASH_H_
#define CITYCODE_CRYPTO_HASH_H_

#include <array>
#include <cstdint>

#include "common/bytes.h"

namespace citycode::crypto {

using Digest = std::array<std::uint8_t, 32>;

// Thread-safe. Throw std::bad_alloc when out of memory (the only way
// OpenSSL's one-shot digest can fail here).
Digest Sha256(ByteView data);
Digest Sm3(ByteView data);  // GB/T 32905

}  // namespace citycode::crypto

#endif  // CITYCODE_CRYPTO_HASH_H_
