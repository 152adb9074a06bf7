#include "crypto/algorithm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/status_matchers.h"

namespace citycode::crypto {
namespace {

using ::citycode::testing::StatusIs;

constexpr Algorithm kAll[] = {Algorithm::kEd25519, Algorithm::kEs256, Algorithm::kSm2};

TEST(Algorithm, NamesInEachFormat) {
  EXPECT_EQ(CliName(Algorithm::kEd25519), "ed25519");
  EXPECT_EQ(CliName(Algorithm::kEs256), "es256");
  EXPECT_EQ(CliName(Algorithm::kSm2), "sm2");
  EXPECT_EQ(CoseAlgorithm(Algorithm::kEd25519), -8);
  EXPECT_EQ(CoseAlgorithm(Algorithm::kEs256), -7);
  EXPECT_EQ(CoseAlgorithm(Algorithm::kSm2), -65537);
  EXPECT_EQ(JoseAlgorithm(Algorithm::kEd25519), "EdDSA");
  EXPECT_EQ(JoseAlgorithm(Algorithm::kEs256), "ES256");
  EXPECT_EQ(JoseAlgorithm(Algorithm::kSm2), "SM2SM3");
  EXPECT_EQ(TrustListAlgorithm(Algorithm::kEd25519), "EdDSA");
  EXPECT_EQ(TrustListAlgorithm(Algorithm::kEs256), "ES256");
  EXPECT_EQ(TrustListAlgorithm(Algorithm::kSm2), "SM2");
}

TEST(Algorithm, EveryNameReadsBack) {
  for (const Algorithm alg : kAll) {
    SCOPED_TRACE(CliName(alg));
    Result<Algorithm> from_cli = AlgorithmFromCliName(CliName(alg));
    Result<Algorithm> from_cose = AlgorithmFromCose(CoseAlgorithm(alg));
    Result<Algorithm> from_jose = AlgorithmFromJose(JoseAlgorithm(alg));
    Result<Algorithm> from_list = AlgorithmFromTrustList(TrustListAlgorithm(alg));
    ASSERT_TRUE(from_cli.ok() && from_cose.ok() && from_jose.ok() && from_list.ok());
    EXPECT_EQ(*from_cli, alg);
    EXPECT_EQ(*from_cose, alg);
    EXPECT_EQ(*from_jose, alg);
    EXPECT_EQ(*from_list, alg);
  }
}

TEST(Algorithm, UnknownNamesAreInvalidArgument) {
  // Names are exact: JOSE "alg" values are case-sensitive (RFC 7515 §4.1.1),
  // and the JOSE and trust-list names of SM2 differ on purpose.
  for (const char* name : {"", "Ed25519", "ES256", "es384", "rs256", "sm2 "}) {
    EXPECT_THAT(AlgorithmFromCliName(name),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << name;
  }
  for (const std::int64_t alg : {0, -35, -36, -257, -37, 1, -65536, -65538}) {
    EXPECT_THAT(AlgorithmFromCose(alg), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << alg;
  }
  for (const char* name : {"", "eddsa", "ES384", "none", "HS256", "SM2", "Ed25519"}) {
    EXPECT_THAT(AlgorithmFromJose(name), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << name;
  }
  for (const char* name : {"", "SM2SM3", "es256", "RS256"}) {
    EXPECT_THAT(AlgorithmFromTrustList(name),
                StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << name;
  }
}

TEST(Algorithm, ErrorMessageNamesTheInput) {
  EXPECT_EQ(AlgorithmFromCose(-35).status().message(), "unsupported COSE algorithm -35");
  EXPECT_EQ(AlgorithmFromJose("RS256").status().message(), "unsupported JWS algorithm 'RS256'");
  // Untrusted names are echoed short and printable.
  EXPECT_EQ(AlgorithmFromJose(std::string(40, 'A') + "\n").status().message(),
            "unsupported JWS algorithm '" + std::string(32, 'A') + "...'");
  EXPECT_EQ(AlgorithmFromTrustList("E\x01").status().message(),
            "unsupported trust-list key algorithm 'E?'");
}

TEST(Algorithm, SignatureSizeIsSixtyFour) { EXPECT_EQ(kSignatureSize, 64u); }

}  // namespace
}  // namespace citycode::crypto
