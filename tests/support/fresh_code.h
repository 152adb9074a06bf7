// A phone's next code in tests: every presentation has its own counter.
#ifndef CITYCODE_TESTS_SUPPORT_FRESH_CODE_H_
#define CITYCODE_TESTS_SUPPORT_FRESH_CODE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "code/presentation.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/key.h"

namespace citycode::testing {

// The CC1 text of a presentation of `credential` by `device`, made at
// `now` with the next of `counter`; empty (and a test failure) if it could
// not be made.
inline std::string FreshCode(const Bytes& credential, const crypto::PrivateKey& device, Instant now,
                             std::uint64_t& counter) {
  auto bytes = code::MakePresentation(
      {.credential = credential, .made_at = now, .counter = ++counter}, device);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? code::ToQrText(*bytes) : std::string();
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_FRESH_CODE_H_
