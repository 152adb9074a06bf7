// OpenSSL plumbing shared by the crypto module: owning pointers, the one
// place where OpenSSL's error queue becomes a Status, and message digests
// fetched once per process.
#ifndef CITYCODE_CRYPTO_INTERNAL_OPENSSL_H_
#define CITYCODE_CRYPTO_INTERNAL_OPENSSL_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace citycode::crypto::internal {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<T, Free>>;

using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using BnPtr = OpenSslPtr<BIGNUM, BN_clear_free>;  // may hold private scalars
using BnCtxPtr = OpenSslPtr<BN_CTX, BN_CTX_free>;
using EcdsaSigPtr = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using EcGroupPtr = OpenSslPtr<EC_GROUP, EC_GROUP_free>;
using EcPointPtr = OpenSslPtr<EC_POINT, EC_POINT_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpPkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using OsslParamBldPtr = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
// A private scalar pushed from a secure BIGNUM lands in a secure block that
// OSSL_PARAM_free wipes.
using OsslParamPtr = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;

// Drains this thread's OpenSSL error queue into a Status with `code` and the
// message "`what`: <first OpenSSL reason>". Every failed OpenSSL call in this
// module is reported through here, so the queue never leaks into unrelated
// code on the same thread.
Status OpenSslError(StatusCode code, std::string_view what);

// Forgets this thread's OpenSSL errors; for failures that are an answer
// (a signature that does not verify), not an error.
void ClearOpenSslErrors();

// Digests fetched from the default provider on first use and kept for the
// life of the process (fetching per call costs a locked lookup). Never null:
// a build of OpenSSL without them aborts, as nothing here could work.
const EVP_MD* Sha256Md();
const EVP_MD* Sm3Md();

// The content of a memory BIO.
std::string BioContents(BIO* bio);

// Big-endian, left-padded to `size` bytes; false if `bn` is negative or
// does not fit.
bool BnToPadded(const BIGNUM* bn, std::size_t size, Bytes& out);

}  // namespace citycode::crypto::internal

#endif  // CITYCODE_CRYPTO_INTERNAL_OPENSSL_H_
