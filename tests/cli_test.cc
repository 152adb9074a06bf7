// End-to-end tests of the `citycode` command line: every command runs as a
// child process (the binary CMake built, CITYCODE_BINARY) in a fresh
// temporary directory, and the tests check what a gate vendor or operator
// sees: stdout, the exit status and the one-line "citycode: ..." error.
//
// The codes are made by the CLI; the library (citycode::code) is only used to
// take them apart for tampering and to build a bare-credential QR text.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "code/presentation.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "qr/qr.h"
#include "tests/support/subprocess.h"

namespace citycode {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using testing::Describe;
using testing::RunCitycode;
using testing::RunResult;

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteText(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::int64_t UnixNow() { return static_cast<std::int64_t>(std::time(nullptr)); }

// Asserts the contract of a usage error: exit 2, nothing on stdout, one line
// "citycode: ..." on stderr that contains `needle`.
void ExpectUsageError(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_EQ(r.out, "") << Describe(r);
  EXPECT_THAT(r.err, StartsWith("citycode: ")) << Describe(r);
  ASSERT_FALSE(r.err.empty()) << Describe(r);
  EXPECT_EQ(r.err.back(), '\n') << Describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line\n" << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(needle)) << Describe(r);
}

// ---------------------------------------------------------------------------
// The fixture: a temporary directory and the usual command sequences.

struct Verification {
  RunResult run;
  json result;  // the JSON object printed on stdout (null if none)
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "citycode-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path Path(const std::string& name) const { return dir_ / name; }

  // Runs a command that must succeed; returns its stdout.
  std::string MustRun(const std::vector<std::string>& args) {
    RunResult r = RunCitycode(args);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return r.out;
  }

  fs::path InitIssuer(const std::string& name, const std::string& alg) {
    const fs::path issuer = Path(name);
    const json out = json::parse(
        MustRun({"issuer", "init", "--dir", issuer.string(), "--alg", alg}), nullptr, false);
    EXPECT_TRUE(out.is_object()) << "issuer init printed no JSON object";
    for (const char* file : {"root.key", "root.pem", "signing.key", "trust.json", "revoked.json"}) {
      EXPECT_TRUE(fs::exists(issuer / file)) << issuer / file;
    }
    return issuer;
  }

  fs::path InitDevice(const std::string& name, const std::string& alg) {
    const fs::path key = Path(name);
    MustRun({"device", "init", "--out", key.string(), "--alg", alg});
    EXPECT_TRUE(fs::exists(key)) << key;
    return key;
  }

  // Issues a credential; returns the cti credential issue printed.
  std::string Issue(const fs::path& issuer, const fs::path& device, const fs::path& out,
                    const std::vector<std::string>& extra = {"--scenes", "transit,hotel"}) {
    std::vector<std::string> args = {"credential",   "issue",         "--issuer", issuer.string(),
                                     "--device-pub", device.string(), "--out",    out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = RunCitycode(args);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    const json printed = json::parse(r.out, nullptr, false);
    if (!printed.is_object() || !printed.contains("cti") || !printed["cti"].is_string()) {
      ADD_FAILURE() << "credential issue did not print {\"cti\": ...}\n" << Describe(r);
      return "";
    }
    EXPECT_TRUE(printed.contains("expires_at")) << Describe(r);
    const std::string cti = printed["cti"];
    EXPECT_EQ(cti.size(), 32u) << cti;
    EXPECT_EQ(cti.find_first_not_of("0123456789abcdef"), std::string::npos) << cti;
    return cti;
  }

  std::string MakeCode(const fs::path& credential, const fs::path& device,
                       std::optional<std::int64_t> at, std::uint64_t counter = 0,
                       const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "code",         "make",          "--credential", credential.string(),
        "--device-key", device.string(), "--counter",    std::to_string(counter)};
    if (at) {
      args.push_back("--at");
      args.push_back(std::to_string(*at));
    }
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = RunCitycode(args);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "stdout is not one line\n"
                                                               << Describe(r);
    const std::string text = TrimNewline(r.out);
    EXPECT_THAT(text, StartsWith("CC1:")) << Describe(r);
    return text;
  }

  // `code verify --trust ISSUER/trust.json [extra...] [text]`.
  Verification Verify(const fs::path& issuer, const std::vector<std::string>& extra,
                      std::optional<std::string> text) {
    std::vector<std::string> args = {"code", "verify", "--trust", (issuer / "trust.json").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    if (text) args.push_back(*text);
    Verification v{RunCitycode(args), json()};
    if (v.run.exit_code == 0 || v.run.exit_code == 1) {
      EXPECT_EQ(std::count(v.run.out.begin(), v.run.out.end(), '\n'), 1)
          << "verify must print exactly one line\n"
          << Describe(v.run);
      v.result = json::parse(v.run.out, nullptr, false);
      EXPECT_TRUE(v.result.is_object()) << "verify printed no JSON object\n" << Describe(v.run);
      if (!v.result.is_object()) v.result = json::object();
      EXPECT_EQ(v.run.err, "") << Describe(v.run);
    }
    return v;
  }

  Verification VerifyAt(const fs::path& issuer, std::int64_t at, const std::string& text,
                        std::vector<std::string> extra = {}) {
    extra.push_back("--at");
    extra.push_back(std::to_string(at));
    return Verify(issuer, extra, text);
  }

  // A refused code: exit 1, valid false and exactly `reason`.
  static void ExpectRefused(const Verification& v, const std::string& reason) {
    EXPECT_EQ(v.run.exit_code, 1) << Describe(v.run);
    EXPECT_EQ(v.result.value("valid", true), false) << Describe(v.run);
    EXPECT_EQ(v.result.value("reason", std::string("<none>")), reason) << Describe(v.run);
  }
  static void ExpectValid(const Verification& v) {
    EXPECT_EQ(v.run.exit_code, 0) << Describe(v.run);
    EXPECT_EQ(v.result.value("valid", false), true) << Describe(v.run);
    EXPECT_EQ(v.result.value("reason", std::string("<none>")), "valid") << Describe(v.run);
  }

  fs::path dir_;
};

// Tests that run once per signature algorithm.
class CliAlgTest : public CliTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string alg() const { return GetParam(); }

  // An issuer, a device and a credential for transit and hotel.
  void SetUpCredential(const std::vector<std::string>& extra = {"--scenes", "transit,hotel"}) {
    issuer_ = InitIssuer("issuer", alg());
    device_ = InitDevice("device.pem", alg());
    credential_ = Path("credential.cbor");
    cti_ = Issue(issuer_, device_, credential_, extra);
    // Comfortably after the lists' issued_at and the credential's iat, so
    // that "--at t-6" is still later than both.
    t_ = UnixNow() + 120;
  }

  fs::path issuer_, device_, credential_;
  std::string cti_;
  std::int64_t t_ = 0;
};

// ---------------------------------------------------------------------------
// A fresh code.

TEST_P(CliAlgTest, FreshCodeVerifies) {
  SetUpCredential({"--scenes", "hotel,transit", "--channel", "app"});
  const std::string text = MakeCode(credential_, device_, t_, 7);
  const Verification v = VerifyAt(issuer_, t_, text);
  ExpectValid(v);
  EXPECT_EQ(v.result.value("cti", ""), cti_) << Describe(v.run);
  EXPECT_EQ(v.result.value("scenes", json()), json::array({"transit", "hotel"})) << Describe(v.run);
  EXPECT_EQ(v.result.value("channel", ""), "app") << Describe(v.run);
  EXPECT_EQ(v.result.value("t", std::int64_t{0}), t_) << Describe(v.run);
  EXPECT_EQ(v.result.value("n", std::int64_t{-1}), 7) << Describe(v.run);
  const std::string sub = v.result.value("sub", "");
  EXPECT_EQ(sub.size(), 32u) << Describe(v.run);
  EXPECT_FALSE(v.result.contains("warnings")) << Describe(v.run);
  EXPECT_FALSE(v.result.contains("rider_category")) << Describe(v.run);

  // The same code at a terminal of one of its scenes, with the lists given
  // explicitly.
  ExpectValid(VerifyAt(issuer_, t_, text,
                       {"--scene", "hotel", "--root", (issuer_ / "root.pem").string(), "--revoked",
                        (issuer_ / "revoked.json").string()}));
}

TEST_P(CliAlgTest, CodeMadeNowVerifiesNow) {
  SetUpCredential();
  const std::string text = MakeCode(credential_, device_, std::nullopt);
  ExpectValid(Verify(issuer_, {"--revoked", (issuer_ / "revoked.json").string()}, text));
}

TEST_P(CliAlgTest, ChannelAndRiderCategoryAreCarried) {
  SetUpCredential({"--scenes", "transit", "--channel", "wechat", "--rider", "senior"});
  const Verification v = VerifyAt(issuer_, t_, MakeCode(credential_, device_, t_));
  ExpectValid(v);
  EXPECT_EQ(v.result.value("channel", ""), "wechat") << Describe(v.run);
  EXPECT_EQ(v.result.value("rider_category", ""), "senior") << Describe(v.run);
  EXPECT_EQ(v.result.value("scenes", json()), json::array({"transit"})) << Describe(v.run);
}

// ---------------------------------------------------------------------------
// Tampering.

// Every byte, flipped two ways, in process: the library's verifier on the
// CLI's code and lists (all bytes through the CLI would take minutes).
TEST_P(CliAlgTest, EveryTamperedByteIsRefusedInProcess) {
  SetUpCredential();
  const std::string text = MakeCode(credential_, device_, t_);
  auto bytes = code::FromQrText(text);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();

  auto root = crypto::PublicKey::FromPem(ReadText(issuer_ / "root.pem"));
  ASSERT_TRUE(root.ok()) << root.status().message();
  auto trust = code::VerifyTrustList(ReadText(issuer_ / "trust.json"), *root);
  ASSERT_TRUE(trust.ok()) << trust.status().message();
  auto revoked = code::VerifyRevocationList(ReadText(issuer_ / "revoked.json"), *root);
  ASSERT_TRUE(revoked.ok()) << revoked.status().message();
  ManualClock clock(FromUnixSeconds(t_));

  {  // The untouched code is valid (its own verifier: nothing is remembered
     // by the one that sees the tampered copies, so no refusal is a replay).
    code::Verifier verifier(clock, *trust, *revoked);
    const code::VerificationResult result = verifier.Verify(text, std::nullopt);
    ASSERT_TRUE(result.valid) << code::ReasonName(result.reason);
  }
  code::Verifier verifier(clock, *trust, *revoked);
  for (std::size_t i = 0; i < bytes->size(); ++i) {
    for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0xff}}) {
      Bytes tampered = *bytes;
      tampered[i] ^= mask;
      const code::VerificationResult result =
          verifier.Verify(code::ToQrText(tampered), std::nullopt);
      EXPECT_FALSE(result.valid) << "byte " << i << " ^ " << int{mask} << " of " << bytes->size()
                                 << " accepted";
      EXPECT_NE(result.reason, code::Reason::kValid) << "byte " << i;
      EXPECT_NE(result.reason, code::Reason::kReplayed) << "byte " << i;
    }
  }
}

// A spread of ~40 positions (first and last included) through the CLI.
TEST_P(CliAlgTest, TamperedBytesAreRefusedByTheCli) {
  SetUpCredential();
  const std::string text = MakeCode(credential_, device_, t_);
  ExpectValid(VerifyAt(issuer_, t_, text));
  auto bytes = code::FromQrText(text);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  ASSERT_GT(bytes->size(), 100u);

  constexpr std::size_t kSamples = 40;
  std::set<std::size_t> positions;
  for (std::size_t k = 0; k < kSamples; ++k)
    positions.insert(k * (bytes->size() - 1) / (kSamples - 1));
  for (std::size_t i : positions) {
    Bytes tampered = *bytes;
    tampered[i] ^= 0xff;
    const std::string tampered_text = code::ToQrText(tampered);
    ASSERT_NE(tampered_text, text);
    const Verification v = VerifyAt(issuer_, t_, tampered_text);
    EXPECT_EQ(v.run.exit_code, 1) << "byte " << i << "\n" << Describe(v.run);
    EXPECT_EQ(v.result.value("valid", true), false) << "byte " << i << "\n" << Describe(v.run);
    EXPECT_NE(v.result.value("reason", std::string("valid")), "valid") << "byte " << i;
  }
}

TEST_P(CliAlgTest, GarbageTextIsMalformed) {
  SetUpCredential();
  for (const char* text : {"CC1:", "CC1:ZZZZ", "hello", "CC1:%%%", "cc1:6BF"}) {
    ExpectRefused(VerifyAt(issuer_, t_, text), "malformed");
  }
  ExpectRefused(VerifyAt(issuer_, t_, "CC1:" + std::string(100000, 'A')), "malformed");
  // A readable QR image that holds something else.
  auto qr = qr::QrCode::Encode("HTTPS://EXAMPLE.COM/");
  ASSERT_TRUE(qr.ok());
  auto png = qr->ToPng();
  ASSERT_TRUE(png.ok());
  WriteText(Path("other.png"), AsChars(*png));
  ExpectRefused(Verify(issuer_, {"--at", std::to_string(t_), "--image", Path("other.png").string()},
                       std::nullopt),
                "malformed");
}

// ---------------------------------------------------------------------------
// Each refusal reason.

TEST_P(CliAlgTest, CredentialOfAnotherIssuerIsUnknownKey) {
  SetUpCredential();
  const fs::path other = InitIssuer("other-issuer", alg());
  const fs::path other_credential = Path("other.cbor");
  Issue(other, device_, other_credential);
  const std::string text = MakeCode(other_credential, device_, t_);
  ExpectValid(VerifyAt(other, t_, text));  // fine where it belongs
  ExpectRefused(VerifyAt(issuer_, t_, text), "unknown_key");
}

TEST_P(CliAlgTest, RevokedCredentialIsRefused) {
  SetUpCredential();
  const std::string text = MakeCode(credential_, device_, t_);
  const std::vector<std::string> with_list = {"--revoked", (issuer_ / "revoked.json").string()};
  ExpectValid(VerifyAt(issuer_, t_, text, with_list));

  RunResult r = RunCitycode({"revoke", "--issuer", issuer_.string(), "--cti", cti_});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const json printed = json::parse(r.out, nullptr, false);
  EXPECT_EQ(printed.value("version", 0), 2) << Describe(r);
  EXPECT_EQ(printed.value("entries", 0), 1) << Describe(r);

  // The list now names the cti's hash and still verifies with the root key.
  auto root = crypto::PublicKey::FromPem(ReadText(issuer_ / "root.pem"));
  ASSERT_TRUE(root.ok());
  auto list = code::VerifyRevocationList(ReadText(issuer_ / "revoked.json"), *root);
  ASSERT_TRUE(list.ok()) << list.status().message();
  EXPECT_EQ(list->version, 2u);
  auto cti_bytes = FromHex(cti_);
  ASSERT_TRUE(cti_bytes.ok());
  code::CredentialId cti{};
  std::copy(cti_bytes->begin(), cti_bytes->end(), cti.begin());
  EXPECT_TRUE(list->Contains(cti));

  ExpectRefused(VerifyAt(issuer_, t_, text, with_list), "credential_revoked");
  // A second revocation of the same cti bumps the version, not the entries.
  r = RunCitycode({"revoke", "--issuer", issuer_.string(), "--cti", cti_});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(json::parse(r.out, nullptr, false).value("entries", 0), 1) << Describe(r);
  ExpectRefused(VerifyAt(issuer_, t_, text, with_list), "credential_revoked");
  // Other credentials of the issuer are unaffected.
  const fs::path other = Path("other.cbor");
  Issue(issuer_, device_, other);
  ExpectValid(VerifyAt(issuer_, t_, MakeCode(other, device_, t_), with_list));
}

TEST_P(CliAlgTest, FreshnessWindow) {
  SetUpCredential();
  const std::string text = MakeCode(credential_, device_, t_);
  ExpectValid(VerifyAt(issuer_, t_ + 60, text));
  ExpectRefused(VerifyAt(issuer_, t_ + 61, text), "stale");
  ExpectRefused(VerifyAt(issuer_, t_ + 3600, text), "stale");
  ExpectValid(VerifyAt(issuer_, t_ + 61, text, {"--window", "120"}));
  ExpectValid(VerifyAt(issuer_, t_ - 5, text));
  ExpectRefused(VerifyAt(issuer_, t_ - 6, text), "from_future");
  ExpectRefused(VerifyAt(issuer_, t_ - 100, text), "from_future");
}

TEST_P(CliAlgTest, ReplayIsRefusedWithReplayDb) {
  SetUpCredential();
  const std::string text = MakeCode(credential_, device_, t_, 1);
  const std::vector<std::string> db = {"--replay-db", Path("replay.db").string()};
  ExpectValid(VerifyAt(issuer_, t_, text, db));
  ExpectRefused(VerifyAt(issuer_, t_, text, db), "replayed");
  ExpectRefused(VerifyAt(issuer_, t_ + 10, text, db), "replayed");
  // The next code of the same device (a new counter) is fine.
  ExpectValid(VerifyAt(issuer_, t_ + 1, MakeCode(credential_, device_, t_, 2), db));
  // Without the journal each run starts afresh.
  ExpectValid(VerifyAt(issuer_, t_, text));
}

TEST_P(CliAlgTest, SceneNotInCredential) {
  SetUpCredential();
  const std::string text = MakeCode(credential_, device_, t_);
  ExpectRefused(VerifyAt(issuer_, t_, text, {"--scene", "medical"}), "scene_not_allowed");
  ExpectRefused(VerifyAt(issuer_, t_, text, {"--scene", "gov"}), "scene_not_allowed");
  ExpectValid(VerifyAt(issuer_, t_, text, {"--scene", "transit"}));
  ExpectValid(VerifyAt(issuer_, t_, text, {"--scene", "hotel"}));
}

TEST_P(CliAlgTest, BareCredentialIsNotAPresentation) {
  SetUpCredential();
  const std::string credential = ReadText(credential_);
  ASSERT_FALSE(credential.empty());
  const std::string text = code::ToQrText(AsBytes(credential));
  ExpectRefused(VerifyAt(issuer_, t_, text), "not_a_presentation");
}

TEST_P(CliAlgTest, ClockBehindTheLists) {
  SetUpCredential();
  const std::string text = MakeCode(credential_, device_, t_);
  ExpectRefused(VerifyAt(issuer_, UnixNow() - 86400, text), "clock_behind");
  ExpectRefused(VerifyAt(issuer_, UnixNow() - 86400, "CC1:garbage"), "clock_behind");
  // A code made at that time too: the clock, not the code, is wrong.
  ExpectRefused(
      VerifyAt(issuer_, UnixNow() - 86400, MakeCode(credential_, device_, UnixNow() - 86400)),
      "clock_behind");
}

TEST_P(CliAlgTest, ExpiredCredential) {
  SetUpCredential({"--scenes", "transit", "--ttl", "1m"});
  const std::int64_t now = UnixNow();
  ExpectValid(VerifyAt(issuer_, now + 30, MakeCode(credential_, device_, now + 30)));
  ExpectRefused(VerifyAt(issuer_, now + 120, MakeCode(credential_, device_, now + 120)),
                "credential_expired");
}

// Lists past their expires_at still verify, with warnings (DESIGN.md): the
// trust list lives 30 days, the revocation list 2.
TEST_P(CliAlgTest, StaleListsWarn) {
  SetUpCredential({"--scenes", "transit", "--ttl", "60d"});
  const std::int64_t later = UnixNow() + 31 * 86400;
  const std::string text = MakeCode(credential_, device_, later);
  Verification v =
      VerifyAt(issuer_, later, text, {"--revoked", (issuer_ / "revoked.json").string()});
  ExpectValid(v);
  EXPECT_EQ(v.result.value("warnings", json()),
            json::array({"stale_trust_list", "stale_revocation_list"}))
      << Describe(v.run);
  v = VerifyAt(issuer_, later, text);
  ExpectValid(v);
  EXPECT_EQ(v.result.value("warnings", json()), json::array({"stale_trust_list"}))
      << Describe(v.run);
  const std::int64_t soon = UnixNow() + 3 * 86400;
  v = VerifyAt(issuer_, soon, MakeCode(credential_, device_, soon),
               {"--revoked", (issuer_ / "revoked.json").string()});
  ExpectValid(v);
  EXPECT_EQ(v.result.value("warnings", json()), json::array({"stale_revocation_list"}))
      << Describe(v.run);
}

TEST_P(CliAlgTest, PresentationSignedByAnotherDeviceKeyIsRefusedAtMake) {
  SetUpCredential();
  const fs::path other_device = InitDevice("other-device.pem", alg());
  const RunResult r = RunCitycode({"code", "make", "--credential", credential_.string(),
                                   "--device-key", other_device.string()});
  ExpectUsageError(r, other_device.string());
}

// ---------------------------------------------------------------------------
// QR images.

TEST_P(CliAlgTest, PngAndSvgRoundTrip) {
  SetUpCredential();
  const fs::path png = Path("code.png");
  const fs::path svg = Path("code.svg");
  RunResult r = RunCitycode({"code", "make", "--credential", credential_.string(), "--device-key",
                             device_.string(), "--at", std::to_string(t_), "--png", png.string(),
                             "--svg", svg.string(), "--terminal"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const std::string text = TrimNewline(r.out);
  EXPECT_THAT(text, StartsWith("CC1:"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "stdout is the bare text";
  EXPECT_FALSE(r.err.empty()) << "--terminal draws on stderr";

  const std::string png_bytes = ReadText(png);
  ASSERT_GE(png_bytes.size(), 8u);
  EXPECT_EQ(png_bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_THAT(ReadText(svg), HasSubstr("<svg"));

  const Verification v =
      Verify(issuer_, {"--at", std::to_string(t_), "--image", png.string()}, std::nullopt);
  ExpectValid(v);
  EXPECT_EQ(v.result.value("cti", ""), cti_);
  EXPECT_EQ(v.result.value("t", std::int64_t{0}), t_);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, CliAlgTest, ::testing::Values("ed25519", "es256", "sm2"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

// ---------------------------------------------------------------------------
// Usage errors: exit 2 and one line on stderr naming the file or field.

class CliUsageTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (HasFatalFailure()) return;
    issuer_ = InitIssuer("issuer", "ed25519");
    device_ = InitDevice("device.pem", "ed25519");
    credential_ = Path("credential.cbor");
    Issue(issuer_, device_, credential_);
    text_ = MakeCode(credential_, device_, std::nullopt);
  }
  fs::path issuer_, device_, credential_;
  std::string text_;
};

TEST_F(CliUsageTest, MissingFiles) {
  const std::string missing = Path("nowhere/trust.json").string();
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", missing, text_}), "nowhere");

  const std::string missing_root = Path("no-root.pem").string();
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--root", missing_root, text_}),
                   missing_root);

  const std::string missing_revoked = Path("no-revoked.json").string();
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--revoked", missing_revoked, text_}),
                   missing_revoked);

  const std::string missing_pem = Path("no-device.pem").string();
  ExpectUsageError(
      RunCitycode({"credential", "issue", "--issuer", issuer_.string(), "--device-pub", missing_pem,
                   "--scenes", "transit", "--out", Path("c.cbor").string()}),
      missing_pem);
  EXPECT_FALSE(fs::exists(Path("c.cbor")));

  const std::string missing_issuer = Path("no-issuer").string();
  ExpectUsageError(
      RunCitycode({"credential", "issue", "--issuer", missing_issuer, "--device-pub",
                   device_.string(), "--scenes", "transit", "--out", Path("c.cbor").string()}),
      missing_issuer);

  const std::string missing_credential = Path("no-credential.cbor").string();
  ExpectUsageError(RunCitycode({"code", "make", "--credential", missing_credential, "--device-key",
                                device_.string()}),
                   missing_credential);

  const std::string missing_key = Path("no-key.pem").string();
  ExpectUsageError(RunCitycode({"code", "make", "--credential", credential_.string(),
                                "--device-key", missing_key}),
                   missing_key);

  ExpectUsageError(
      RunCitycode({"revoke", "--issuer", missing_issuer, "--cti", std::string(32, 'a')}),
      missing_issuer);
}

TEST_F(CliUsageTest, GarbagePem) {
  const fs::path garbage = Path("garbage.pem");
  WriteText(garbage, "this is not a key\n");
  const fs::path bad_base64 = Path("bad-base64.pem");
  WriteText(bad_base64, "-----BEGIN PUBLIC KEY-----\nZ2FyYmFnZQ==\n-----END PUBLIC KEY-----\n");
  const fs::path bad_private = Path("bad-private.pem");
  WriteText(bad_private, "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n");

  for (const fs::path& pem : {garbage, bad_base64, bad_private}) {
    ExpectUsageError(
        RunCitycode({"credential", "issue", "--issuer", issuer_.string(), "--device-pub",
                     pem.string(), "--scenes", "transit", "--out", Path("c.cbor").string()}),
        pem.string());
    ExpectUsageError(RunCitycode({"code", "make", "--credential", credential_.string(),
                                  "--device-key", pem.string()}),
                     pem.string());
    ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                  "--root", pem.string(), text_}),
                     pem.string());
  }
  // A public key where a private one is needed.
  const fs::path public_only = Path("public.pem");
  WriteText(public_only, ReadText(issuer_ / "root.pem"));
  ExpectUsageError(RunCitycode({"code", "make", "--credential", credential_.string(),
                                "--device-key", public_only.string()}),
                   public_only.string());
}

TEST_F(CliUsageTest, GarbageListsAndCredentials) {
  const fs::path garbage = Path("garbage.json");
  WriteText(garbage, "{\"protected\": 1}");
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", garbage.string(), "--root",
                                (issuer_ / "root.pem").string(), text_}),
                   garbage.string());
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--revoked", garbage.string(), text_}),
                   garbage.string());
  // A trust list signed by another root.
  const fs::path other = InitIssuer("other", "ed25519");
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (other / "trust.json").string(),
                                "--root", (issuer_ / "root.pem").string(), text_}),
                   (other / "trust.json").string());
  // The revocation list where the trust list belongs.
  ExpectUsageError(
      RunCitycode({"code", "verify", "--trust", (issuer_ / "revoked.json").string(), text_}),
      (issuer_ / "revoked.json").string());
  // Not a credential.
  const fs::path not_credential = Path("not-credential.cbor");
  WriteText(not_credential, "\xa1\x01\x02");
  ExpectUsageError(RunCitycode({"code", "make", "--credential", not_credential.string(),
                                "--device-key", device_.string()}),
                   not_credential.string());
}

TEST_F(CliUsageTest, UnknownAlgorithm) {
  ExpectUsageError(
      RunCitycode({"issuer", "init", "--dir", Path("rsa-issuer").string(), "--alg", "rsa"}), "rsa");
  EXPECT_FALSE(fs::exists(Path("rsa-issuer") / "root.key"));
  ExpectUsageError(
      RunCitycode({"device", "init", "--out", Path("rsa.pem").string(), "--alg", "rsa"}), "rsa");
  EXPECT_FALSE(fs::exists(Path("rsa.pem")));
}

TEST_F(CliUsageTest, BadCti) {
  const std::vector<std::string> bad = {"zz", "0123", std::string(31, 'a'), std::string(34, 'a'),
                                        std::string(30, 'a') + "g0"};
  for (const std::string& cti : bad) {
    ExpectUsageError(RunCitycode({"revoke", "--issuer", issuer_.string(), "--cti", cti}), "--cti");
  }
}

TEST_F(CliUsageTest, UnknownSceneChannelRiderTtl) {
  const std::vector<std::string> issue = {
      "credential",   "issue",          "--issuer", issuer_.string(),
      "--device-pub", device_.string(), "--out",    Path("c.cbor").string()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = issue;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  ExpectUsageError(RunCitycode(with({"--scenes", "transit,moon"})), "moon");
  ExpectUsageError(RunCitycode(with({"--scenes", ""})), "scene");
  ExpectUsageError(RunCitycode(with({"--scenes", "transit", "--channel", "fax"})), "fax");
  ExpectUsageError(RunCitycode(with({"--scenes", "transit", "--rider", "pilot"})), "pilot");
  ExpectUsageError(RunCitycode(with({"--scenes", "transit", "--ttl", "forever"})), "--ttl");
  ExpectUsageError(RunCitycode(with({"--scenes", "transit", "--ttl", "0h"})), "ttl");
  EXPECT_FALSE(fs::exists(Path("c.cbor")));
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--scene", "moon", text_}),
                   "moon");
  ExpectUsageError(RunCitycode({"code", "make", "--credential", credential_.string(),
                                "--device-key", device_.string(), "--scene-hint", "moon"}),
                   "moon");
}

TEST_F(CliUsageTest, VerifyNeedsTextOrImage) {
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string()}),
                   "--image");
  const fs::path png = Path("code.png");
  RunCitycode({"code", "make", "--credential", credential_.string(), "--device-key",
               device_.string(), "--png", png.string()});
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--image", png.string(), text_}),
                   "citycode: ");
}

TEST_F(CliUsageTest, ImageThatIsNotAPng) {
  const fs::path not_png = Path("not-a.png");
  WriteText(not_png, "GIF89a, or rather, not an image at all\n");
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--image", not_png.string()}),
                   not_png.string());
  const fs::path empty = Path("empty.png");
  WriteText(empty, "");
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--image", empty.string()}),
                   empty.string());
  const fs::path missing = Path("missing.png");
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--image", missing.string()}),
                   missing.string());
  // A truncated PNG: the first half of a real one.
  const fs::path png = Path("code.png");
  RunCitycode({"code", "make", "--credential", credential_.string(), "--device-key",
               device_.string(), "--png", png.string()});
  const std::string bytes = ReadText(png);
  ASSERT_GT(bytes.size(), 100u);
  const fs::path truncated = Path("truncated.png");
  WriteText(truncated, bytes.substr(0, bytes.size() / 2));
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--image", truncated.string()}),
                   truncated.string());
}

// A replay journal that cannot be written is reported before any code is
// verified: exit 2 and "citycode: <path>: ..." like any other unusable file.
TEST_F(CliUsageTest, UnwritableReplayDbIsAUsageError) {
  const std::string db = Path("no-such-dir/replay.db").string();
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--replay-db", db, text_}),
                   db);
}

TEST_F(CliUsageTest, IssuerInitRefusesAnExistingIssuer) {
  const std::string before = ReadText(issuer_ / "root.key");
  ExpectUsageError(RunCitycode({"issuer", "init", "--dir", issuer_.string()}), issuer_.string());
  EXPECT_EQ(ReadText(issuer_ / "root.key"), before) << "issuer init overwrote the root key";
}

TEST_F(CliUsageTest, CommandLineErrors) {
  ExpectUsageError(RunCitycode({}), "citycode: ");
  ExpectUsageError(RunCitycode({"launch"}), "citycode: ");
  ExpectUsageError(RunCitycode({"code", "verify", text_}), "--trust");
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--window", "0", text_}),
                   "--window");
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--at", "yesterday", text_}),
                   "--at");
  // Beyond year 9999 time arithmetic could overflow: refused up front.
  ExpectUsageError(RunCitycode({"code", "verify", "--trust", (issuer_ / "trust.json").string(),
                                "--at", "9223372036854775807", text_}),
                   "--at");
  ExpectUsageError(RunCitycode({"code", "make", "--credential", credential_.string(),
                                "--device-key", device_.string(), "--counter", "-1"}),
                   "counter");
}

}  // namespace
}  // namespace citycode
