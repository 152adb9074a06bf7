#include "platform/keyring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/files.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace citycode::platform {
namespace {

using ::citycode::testing::StatusIs;

class KeyringTest : public ::testing::TestWithParam<crypto::CipherProfile> {};

TEST_P(KeyringTest, SealsOpensAndBindsTheAad) {
  const Keyring keyring = Keyring::Generate(GetParam());
  const Bytes sealed = keyring.Seal(AsBytes("张三"), "citizens.sealed_name:cit_1");
  // Nothing of the clear value shows in the envelope.
  EXPECT_EQ(std::search(sealed.begin(), sealed.end(), std::begin("张三"), std::end("张三") - 1),
            sealed.end());
  EXPECT_EQ(AsChars(*keyring.Open(sealed, "citizens.sealed_name:cit_1")), "张三");
  // Copied to another row or column, it does not open.
  EXPECT_THAT(keyring.Open(sealed, "citizens.sealed_name:cit_2"),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  Bytes tampered = sealed;
  tampered.back() ^= 1;
  EXPECT_THAT(keyring.Open(tampered, "citizens.sealed_name:cit_1"),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_THAT(keyring.Open(Bytes{9, 9}, "x"),
              StatusIs(StatusCode::kInvalidArgument, "invalid_argument"));
}

TEST_P(KeyringTest, RotationRewrapsWithoutTouchingTheData) {
  Keyring keyring = Keyring::Generate(GetParam());
  const Bytes old_envelope = keyring.Seal(AsBytes("370202199001011234"), "aad");
  const std::string first = keyring.current_key_id();
  const std::string second = keyring.RotateMasterKey();
  EXPECT_NE(first, second);
  // Old envelopes still open; new ones use the new key.
  EXPECT_EQ(AsChars(*keyring.Open(old_envelope, "aad")), "370202199001011234");
  EXPECT_EQ(*keyring.MasterKeyId(keyring.Seal(AsBytes("x"), "aad")), second);
  const Bytes rewrapped = *keyring.Rewrap(old_envelope, "aad");
  EXPECT_EQ(*keyring.MasterKeyId(rewrapped), second);
  EXPECT_EQ(AsChars(*keyring.Open(rewrapped, "aad")), "370202199001011234");
  // The sealed data (the envelope's tail) is byte for byte the same.
  const std::size_t tail = 1 + 12 + 7 + 16;  // smaller than the sealed part in both profiles
  EXPECT_TRUE(std::equal(old_envelope.end() - tail, old_envelope.end(), rewrapped.end() - tail));
  EXPECT_THAT(keyring.Rewrap(old_envelope, "other"),
              StatusIs(StatusCode::kUnauthenticated, "unauthenticated"));
}

TEST_P(KeyringTest, SavesAndLoadsPrivately) {
  testing::TempDir dir("keyring");
  const auto file = dir.path() / "keyring.json";
  auto created = Keyring::LoadOrCreate(file, GetParam());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const Bytes sealed = created->Seal(AsBytes("13800000000"), "phone");
  auto loaded = Keyring::LoadOrCreate(file, GetParam());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->profile(), GetParam());
  EXPECT_EQ(AsChars(*loaded->Open(sealed, "phone")), "13800000000");
  EXPECT_EQ(loaded->Index("phone", "13800000000"), created->Index("phone", "13800000000"));
}

TEST_P(KeyringTest, IndexIsKeyedAndSeparatedByPurpose) {
  const Keyring a = Keyring::Generate(GetParam()), b = Keyring::Generate(GetParam());
  EXPECT_EQ(a.Index("phone", "13800000000"), a.Index("phone", "13800000000"));
  EXPECT_NE(a.Index("phone", "13800000000"), a.Index("id_number", "13800000000"));
  EXPECT_NE(a.Index("phone", "13800000000"), b.Index("phone", "13800000000"));
  // A key from another keyring is not found, not misused.
  EXPECT_THAT(b.Open(a.Seal(AsBytes("x"), "aad"), "aad"),
              StatusIs(StatusCode::kUnauthenticated,
                       "unauthenticated"));  // both name "mk1": the wrap fails to open
}

TEST(KeyringFileTest, RefusesMalformedFiles) {
  testing::TempDir dir("keyring-bad");
  const auto file = dir.path() / "keyring.json";
  for (
      const char* text :
      {"not json", "{}", R"({"profile":"des","current":"mk1","master_keys":{},"index_key":"00"})",
       R"({"profile":"aes-256-gcm","current":"mk9","master_keys":{"mk1":"00"},"index_key":"00"})"}) {
    ASSERT_TRUE(WriteFileAtomic(file, text).ok());
    EXPECT_THAT(Keyring::Load(file), StatusIs(StatusCode::kInvalidArgument, "invalid_argument"))
        << text;
  }
  EXPECT_THAT(Keyring::Load(dir.path() / "missing.json"),
              StatusIs(StatusCode::kNotFound, "not_found"));
}

INSTANTIATE_TEST_SUITE_P(Profiles, KeyringTest,
                         ::testing::Values(crypto::CipherProfile::kAes256Gcm,
                                           crypto::CipherProfile::kSm4CtrHmacSm3),
                         [](const ::testing::TestParamInfo<crypto::CipherProfile>& param_info) {
                           return param_info.param == crypto::CipherProfile::kAes256Gcm ? "aes"
                                                                                        : "sm4";
                         });

}  // namespace
}  // namespace citycode::platform
