// SM4 in counter mode, exposed for the known-answer test of aead.cc.
#ifndef CITYCODE_CRYPTO_INTERNAL_SM4_H_
#define CITYCODE_CRYPTO_INTERNAL_SM4_H_

#include <array>
#include <cstdint>

#include "common/bytes.h"

namespace citycode::crypto::internal {

// data XOR SM4-CTR keystream (key 16 bytes, initial counter block 16 bytes).
Bytes Sm4CtrXor(ByteView key, ByteView counter_block, ByteView data);

}  // namespace citycode::crypto::internal

#endif  // CITYCODE_CRYPTO_INTERNAL_SM4_H_
