// Runs a parameterized test over every signature algorithm, named by its CLI
// name ("ed25519", "es256", "sm2").
//
//   INSTANTIATE_TEST_SUITE_P(AllAlgorithms, MyTest, citycode::testing::AllAlgorithms(),
//                            citycode::testing::AlgorithmParamName());
#ifndef CITYCODE_TESTS_SUPPORT_ALGORITHMS_H_
#define CITYCODE_TESTS_SUPPORT_ALGORITHMS_H_

#include <gtest/gtest.h>

#include <string>

#include "crypto/algorithm.h"

namespace citycode::testing {

inline auto AllAlgorithms() {
  return ::testing::Values(crypto::Algorithm::kEd25519, crypto::Algorithm::kEs256,
                           crypto::Algorithm::kSm2);
}

struct AlgorithmParamName {
  std::string operator()(const ::testing::TestParamInfo<crypto::Algorithm>& info) const {
    return std::string(crypto::CliName(info.param));
  }
};

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_ALGORITHMS_H_
