// An offline verifier holding the lists a platform publishes now, as a
// gate that just downloaded them holds them.
#ifndef CITYCODE_TESTS_SUPPORT_OFFLINE_VERIFIER_H_
#define CITYCODE_TESTS_SUPPORT_OFFLINE_VERIFIER_H_

#include <gtest/gtest.h>

#include <memory>

#include "code/trust_list.h"
#include "code/verifier.h"
#include "platform/platform.h"

namespace citycode::testing {

// `clock` must outlive the verifier.
inline std::unique_ptr<code::Verifier> OfflineVerifier(platform::Platform& platform,
                                                       const Clock& clock) {
  const crypto::PublicKey& root = platform.signing_keys().root_public_key();
  auto trust = code::VerifyTrustList(platform.signing_keys().TrustList()->jws, root);
  auto revoked = code::VerifyRevocationList(platform.signing_keys().RevocationList()->jws, root);
  EXPECT_TRUE(trust.ok() && revoked.ok());
  return std::make_unique<code::Verifier>(clock, *trust, *revoked);
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_OFFLINE_VERIFIER_H_
