#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace citycode::crypto {
namespace {

std::string Hex(const Digest& d) { return ToHex(d); }

TEST(Sha256, KnownAnswers) {
  // FIPS 180-4 examples (and the empty string).
  EXPECT_EQ(Hex(Sha256(AsBytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256(AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hex(Sha256(AsBytes(std::string(1000000, 'a')))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sm3, KnownAnswers) {
  // GB/T 32905-2016 Annex A.
  EXPECT_EQ(Hex(Sm3(AsBytes("abc"))),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  std::string abcd;
  for (int i = 0; i < 16; ++i) abcd += "abcd";
  EXPECT_EQ(Hex(Sm3(AsBytes(abcd))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
  EXPECT_EQ(Hex(Sm3(AsBytes(""))),
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b");
}

TEST(Hash, SameAnswerFromManyThreads) {
  const std::string input(4096, 'x');
  const Digest sha = Sha256(AsBytes(input));
  const Digest sm3 = Sm3(AsBytes(input));
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (Sha256(AsBytes(input)) != sha || Sm3(AsBytes(input)) != sm3) ++wrong[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace citycode::crypto
