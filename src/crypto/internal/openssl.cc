#include "crypto/internal/openssl.h"

#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>

namespace citycode::crypto::internal {
namespace {

const EVP_MD* FetchOrDie(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    std::fprintf(stderr, "citycode: OpenSSL has no %s digest\n", name);
    std::abort();
  }
  return md;
}

}  // namespace

Status OpenSslError(StatusCode code, std::string_view what) {
  std::string message(what);
  // The first error is the root cause; later entries are callers adding
  // context.
  if (const unsigned long err = ERR_peek_error(); err != 0) {
    char reason[256];
    ERR_error_string_n(err, reason, sizeof reason);
    message += ": ";
    message += reason;
  }
  ERR_clear_error();
  return Status(code, std::move(message));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

// Intentionally never freed: the objects are immutable, shared by all
// threads, and must outlive any static destructor that might still hash.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = FetchOrDie("SHA256");
  return md;
}

const EVP_MD* Sm3Md() {
  static const EVP_MD* const md = FetchOrDie("SM3");
  return md;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

bool BnToPadded(const BIGNUM* bn, std::size_t size, Bytes& out) {
  if (BN_is_negative(bn)) return false;
  out.resize(size);
  return BN_bn2binpad(bn, out.data(), static_cast<int>(size)) == static_cast<int>(size);
}

}  // namespace citycode::crypto::internal
