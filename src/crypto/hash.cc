#include "crypto/hash.h"

#include <openssl/evp.h>

#include <new>

#include "crypto/internal/openssl.h"

namespace citycode::crypto {
namespace {

Digest DigestWith(const EVP_MD* md, ByteView data) {
  Digest out;
  unsigned int size = 0;
  // With a digest fetched once and no engine, this fails only when memory
  // runs out, reported like any other allocation failure.
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, md, nullptr) != 1 ||
      size != out.size()) {
    internal::ClearOpenSslErrors();
    throw std::bad_alloc();
  }
  return out;
}

}  // namespace

Digest Sha256(ByteView data) { return DigestWith(internal::Sha256Md(), data); }

Digest Sm3(ByteView data) { return DigestWith(internal::Sm3Md(), data); }

}  // namespace citycode::crypto
