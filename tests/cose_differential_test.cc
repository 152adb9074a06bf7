// A differential check on the fuzz corpora (issue 22, item 2): every input of
// fuzz/corpus/fuzz_cose and fuzz_presentation through our COSE_Sign1
// decoder (src/code/cose.h, strict CBOR) and through the npm `cbor` package
// (tests/interop/decode_cose.mjs). What we read, cbor reads as one item, a
// COSE_Sign1 with the same protected header, payload and signature, under
// tag 18 exactly when we say tagged; what cbor cannot read as one
// well-formed item, we refuse.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "code/cose.h"
#include "common/bytes.h"
#include "common/files.h"
#include "tests/support/interop.h"

namespace citycode {
namespace {

using nlohmann::json;

struct Input {
  std::string name;
  Bytes bytes;
};

std::vector<Input> Corpus() {
  std::vector<Input> inputs;
  for (const char* target : {"fuzz_cose", "fuzz_presentation"}) {
    const std::filesystem::path dir = std::filesystem::path(CITYCODE_FUZZ_CORPUS) / target;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      auto text = ReadFile(entry.path(), 1 << 20);
      EXPECT_TRUE(text.ok()) << entry.path();
      if (text.ok()) {
        inputs.push_back({std::string(target) + "/" + entry.path().filename().string(),
                          Bytes(text->begin(), text->end())});
      }
    }
  }
  return inputs;
}

// decode_cose.mjs's answer for each input, by name.
std::map<std::string, json> CborVerdicts(const std::vector<Input>& inputs) {
  json cases = json::array();
  for (const Input& input : inputs)
    cases.push_back({{"name", input.name}, {"hex", ToHex(input.bytes)}});
  return testing::RunInteropCases("decode_cose.mjs", cases);
}

TEST(CoseDifferentialTest, OurDecoderAndNpmCborAgreeOnTheFuzzCorpora) {
  const std::vector<Input> inputs = Corpus();
  ASSERT_GT(inputs.size(), 100u) << "the committed corpora";
  const std::map<std::string, json> cbor = CborVerdicts(inputs);
  ASSERT_EQ(cbor.size(), inputs.size()) << "node did not answer for every input";
  int read = 0;
  for (const Input& input : inputs) {
    const json& theirs = cbor.at(input.name);
    auto ours = code::DecodeCoseSign1(input.bytes, {.require_tag = false});
    if (!theirs["one_item"].get<bool>()) {
      EXPECT_FALSE(ours.ok()) << input.name << ": not one well-formed CBOR item for npm cbor";
      continue;
    }
    if (!ours.ok()) continue;  // strict CBOR refuses more than cbor does
    ++read;
    const json& sign1 = theirs["sign1"];
    ASSERT_TRUE(sign1.is_object()) << input.name << ": npm cbor reads no COSE_Sign1";
    EXPECT_EQ(sign1["tag"].is_null() ? 0 : sign1["tag"].get<int>(), ours->tagged ? 18 : 0)
        << input.name;
    EXPECT_EQ(sign1["protected"], ToHex(ours->protected_bytes)) << input.name;
    EXPECT_EQ(sign1["payload"], ToHex(ours->payload)) << input.name;
    EXPECT_EQ(sign1["signature"], ToHex(ours->signature)) << input.name;
  }
  EXPECT_GT(read, 10) << "inputs both decoders read";
  std::printf("%zu inputs, %d read as COSE_Sign1 by both\n", inputs.size(), read);
}

}  // namespace
}  // namespace citycode
