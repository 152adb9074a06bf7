// Benchmarks of the CC1 hot paths (Google Benchmark), run by scripts/bench.
//
// For each signature algorithm (Ed25519, ES256, SM2; issuer and device keys
// of the same algorithm):
//   BM_CodeMake/<alg>      MakePresentation + ToQrText (what a phone does
//                          every 30 s).
//   BM_VerifyCold/<alg>    Verifier::Verify with the credential cache off:
//                          both signatures (issuer + device) checked on
//                          every scan.
//   BM_VerifyCached/<alg>  the same with the default credential cache: the
//                          issuer signature is checked once.
//   BM_RawVerify/<alg>     one raw signature check of a 250-byte message with
//                          the fastest library, tuned the way a careful
//                          caller would (key decoded once): libsodium for
//                          Ed25519, OpenSSL EVP_DigestVerify for P-256 and
//                          SM2. A cold verification does two of these, so
//                          its ideal rate is raw / 2.
//   BM_KeyVerify/<alg>     citycode's own crypto::PublicKey::Verify of the
//                          same message, to tell the crypto layer's overhead
//                          from the code layer's.
//   BM_ParseCredential/<alg>  ParseCredential of the credential a code
//                          carries, including the import of its device key
//                          (cnf): the part of a cold verification that a
//                          cached one skips besides the issuer signature.
// and the QR rendering of a real Ed25519 code:
//   BM_QrPng               QrCode::Encode + ToPng (default options).
//   BM_QrPngOnly           ToPng of an already encoded symbol.
//
// Every benchmark reports the counter "per_second" (iterations per CPU
// second); bench/ratios.py compares them.
//
// Verification benchmarks cycle through a pool of distinct codes (same
// credential, distinct counters n), each checked for validity. The verifier's
// replay cache holds half the pool, so a code is evicted before it comes round
// again: the loop runs in the steady state of a gate whose replay cache is
// full, and no code is ever refused as a replay.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "code/credential.h"
#include "code/presentation.h"
#include "code/trust_list.h"
#include "code/verifier.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "qr/qr.h"

namespace citycode {
namespace {

using crypto::Algorithm;

const Instant kNow = FromUnixSeconds(1'790'000'000);  // 2026-09-21
constexpr std::size_t kPoolSize = 2048;
constexpr std::size_t kRawMessageSize = 250;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "citycode_bench: setup failed: %s\n", what.c_str());
  std::abort();
}

template <typename T>
T Must(Result<T> result, const char* what) {
  if (!result.ok()) Die(std::string(what) + ": " + result.status().ToString());
  return *std::move(result);
}

// Keys, lists, one credential and a pool of valid codes for one algorithm;
// made once per process and shared by that algorithm's benchmarks.
struct World {
  explicit World(Algorithm alg)
      : clock(kNow),
        signer(Must(crypto::PrivateKey::Generate(alg), "signer key")),
        device(Must(crypto::PrivateKey::Generate(alg), "device key")) {
    trust = code::TrustList{.version = 1,
                            .issuer = "citycode:jimo",
                            .issued_at = kNow - std::chrono::hours(1),
                            .expires_at = kNow + std::chrono::days(7),
                            .keys = {{signer.public_key(), kNow - std::chrono::days(1),
                                      kNow + std::chrono::days(365)}}};
    revocation = code::RevocationList{.version = 1,
                                      .issued_at = kNow - std::chrono::hours(1),
                                      .expires_at = kNow + std::chrono::days(1),
                                      .entries = {}};
    const code::CredentialClaims claims{.issuer = "citycode:jimo",
                                        .subject = crypto::RandomArray<16>(),
                                        .issued_at = kNow - std::chrono::hours(2),
                                        .expires_at = kNow + std::chrono::hours(22),
                                        .id = crypto::RandomArray<16>(),
                                        .device_key = device.public_key(),
                                        .scenes = {code::Scene::kTransit, code::Scene::kHotel},
                                        .channel = code::Channel::kApp,
                                        .rider_category = code::RiderCategory::kAdult};
    credential = Must(code::IssueCredential(claims, signer), "IssueCredential");
    pool.reserve(kPoolSize);
    for (std::size_t n = 0; n < kPoolSize; ++n) {
      const Bytes presentation = Must(
          code::MakePresentation({.credential = credential, .made_at = kNow, .counter = n}, device),
          "MakePresentation");
      pool.push_back(code::ToQrText(presentation));
    }
  }

  ManualClock clock;
  crypto::PrivateKey signer;
  crypto::PrivateKey device;
  code::TrustList trust;
  code::RevocationList revocation;
  Bytes credential;
  std::vector<std::string> pool;
};

World& WorldFor(Algorithm alg) {
  static std::map<Algorithm, std::unique_ptr<World>> worlds;
  auto& world = worlds[alg];
  if (!world) world = std::make_unique<World>(alg);
  return *world;
}

void SetRate(benchmark::State& state) {
  state.counters["per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// --- making a code ---------------------------------------------------------

void BM_CodeMake(benchmark::State& state, Algorithm alg) {
  World& world = WorldFor(alg);
  std::uint64_t n = 0;
  for (auto _ : state) {
    auto presentation = code::MakePresentation(
        {.credential = world.credential, .made_at = kNow, .counter = n++}, world.device);
    if (!presentation.ok()) {
      state.SkipWithError(presentation.status().ToString().c_str());
      break;
    }
    std::string text = code::ToQrText(*presentation);
    benchmark::DoNotOptimize(text);
  }
  SetRate(state);
}

// --- verifying a code ------------------------------------------------------

void RunVerify(benchmark::State& state, Algorithm alg, std::size_t credential_cache_capacity) {
  World& world = WorldFor(alg);
  const code::Verifier verifier(world.clock, world.trust, world.revocation,
                                {.replay_cache_capacity = kPoolSize / 2,
                                 .credential_cache_capacity = credential_cache_capacity});
  std::size_t i = 0;
  for (auto _ : state) {
    const code::VerificationResult result = verifier.Verify(world.pool[i], code::Scene::kTransit);
    if (!result.valid) {
      state.SkipWithError(
          ("code refused: " + std::string(code::ReasonName(result.reason))).c_str());
      break;
    }
    if (++i == world.pool.size()) i = 0;
  }
  SetRate(state);
}

void BM_VerifyCold(benchmark::State& state, Algorithm alg) { RunVerify(state, alg, 0); }

void BM_VerifyCached(benchmark::State& state, Algorithm alg) {
  RunVerify(state, alg, code::VerifierOptions{}.credential_cache_capacity);
}

// --- raw signature checks --------------------------------------------------

std::vector<unsigned char> RawMessage() {
  std::vector<unsigned char> message(kRawMessageSize);
  if (RAND_bytes(message.data(), static_cast<int>(message.size())) != 1) Die("RAND_bytes");
  return message;
}

void BM_RawVerifyEd25519(benchmark::State& state) {
  if (sodium_init() < 0) Die("sodium_init");
  const std::vector<unsigned char> message = RawMessage();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_keypair(pk, sk);
  crypto_sign_detached(sig, nullptr, message.data(), message.size(), sk);
  for (auto _ : state) {
    if (crypto_sign_verify_detached(sig, message.data(), message.size(), pk) != 0) {
      state.SkipWithError("signature does not verify");
      break;
    }
  }
  SetRate(state);
}

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;

PkeyPtr GenerateOpensslKey(bool sm2) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, sm2 ? "SM2" : "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) Die("keygen init");
  if (!sm2 && EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1) Die("P-256 group");
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &key) != 1) Die("keygen");
  return PkeyPtr(key);
}

// Starts a digest-verify (or sign) operation on `md_ctx`; SM2 also gets the
// GM/T 0009 distinguishing ID, which OpenSSL 3 leaves empty otherwise.
bool DigestInit(EVP_MD_CTX* md_ctx, EVP_PKEY* key, bool sm2, bool sign) {
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md_ctx
  const EVP_MD* md = sm2 ? EVP_sm3() : EVP_sha256();
  const int ok = sign ? EVP_DigestSignInit(md_ctx, &pctx, md, nullptr, key)
                      : EVP_DigestVerifyInit(md_ctx, &pctx, md, nullptr, key);
  if (ok != 1) return false;
  if (sm2) {
    const std::string_view id = crypto::kSm2DefaultUserId;
    if (EVP_PKEY_CTX_set1_id(pctx, id.data(), id.size()) != 1) return false;
  }
  return true;
}

void BM_RawVerifyOpenssl(benchmark::State& state, bool sm2) {
  const std::vector<unsigned char> message = RawMessage();
  const PkeyPtr key = GenerateOpensslKey(sm2);
  const MdCtxPtr md_ctx(EVP_MD_CTX_new());
  if (!md_ctx) Die("EVP_MD_CTX_new");

  // One DER signature, made once.
  std::vector<unsigned char> sig(EVP_PKEY_get_size(key.get()));
  std::size_t sig_len = sig.size();
  if (!DigestInit(md_ctx.get(), key.get(), sm2, /*sign=*/true) ||
      EVP_DigestSign(md_ctx.get(), sig.data(), &sig_len, message.data(), message.size()) != 1) {
    Die("EVP_DigestSign");
  }
  sig.resize(sig_len);

  // A verifying key decoded from the public part only, as a verifier has it.
  unsigned char* spki = nullptr;
  const int spki_len = i2d_PUBKEY(key.get(), &spki);
  if (spki_len <= 0) Die("i2d_PUBKEY");
  const unsigned char* p = spki;
  PkeyPtr public_key(d2i_PUBKEY(nullptr, &p, spki_len));
  OPENSSL_free(spki);
  if (!public_key) Die("d2i_PUBKEY");
  if (sm2 && EVP_PKEY_is_a(public_key.get(), "SM2") != 1) {
    // OpenSSL 3.0 may decode an SPKI on the SM2 curve as an EC key; verify
    // with the SM2 key as generated then (same cost, private part unused).
    public_key.reset(EVP_PKEY_dup(key.get()));
    if (!public_key) Die("EVP_PKEY_dup");
  }

  // Sanity: the wrong ID must fail for SM2, so the ID really is in use.
  if (sm2) {
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestVerifyInit(md_ctx.get(), &pctx, EVP_sm3(), nullptr, public_key.get()) != 1 ||
        EVP_PKEY_CTX_set1_id(pctx, "x", 1) != 1) {
      Die("SM2 verify init");
    }
    if (EVP_DigestVerify(md_ctx.get(), sig.data(), sig.size(), message.data(), message.size()) ==
        1) {
      Die("SM2 signature verifies with the wrong distinguishing ID");
    }
  }

  for (auto _ : state) {
    if (!DigestInit(md_ctx.get(), public_key.get(), sm2, /*sign=*/false) ||
        EVP_DigestVerify(md_ctx.get(), sig.data(), sig.size(), message.data(), message.size()) !=
            1) {
      state.SkipWithError("signature does not verify");
      break;
    }
  }
  SetRate(state);
}

void BM_RawVerify(benchmark::State& state, Algorithm alg) {
  switch (alg) {
    case Algorithm::kEd25519: return BM_RawVerifyEd25519(state);
    case Algorithm::kEs256: return BM_RawVerifyOpenssl(state, /*sm2=*/false);
    case Algorithm::kSm2: return BM_RawVerifyOpenssl(state, /*sm2=*/true);
  }
}

void BM_KeyVerify(benchmark::State& state, Algorithm alg) {
  const crypto::PrivateKey key = Must(crypto::PrivateKey::Generate(alg), "key");
  const std::vector<unsigned char> raw = RawMessage();
  const ByteView message(raw.data(), raw.size());
  const Bytes sig = Must(key.Sign(message), "Sign");
  const crypto::PublicKey public_key = key.public_key();
  for (auto _ : state) {
    if (!public_key.Verify(message, sig)) {
      state.SkipWithError("signature does not verify");
      break;
    }
  }
  SetRate(state);
}

void BM_ParseCredential(benchmark::State& state, Algorithm alg) {
  const World& world = WorldFor(alg);
  for (auto _ : state) {
    auto credential = code::ParseCredential(world.credential);
    if (!credential.ok()) {
      state.SkipWithError(credential.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(credential->claims.device_key);
  }
  SetRate(state);
}

// --- QR rendering ------------------------------------------------------------

void BM_QrPng(benchmark::State& state) {
  const std::string& text = WorldFor(Algorithm::kEd25519).pool.front();
  std::size_t png_size = 0;
  for (auto _ : state) {
    auto qr = qr::QrCode::Encode(text);
    if (!qr.ok()) {
      state.SkipWithError(qr.status().ToString().c_str());
      break;
    }
    auto png = qr->ToPng();
    if (!png.ok()) {
      state.SkipWithError(png.status().ToString().c_str());
      break;
    }
    png_size = png->size();
    benchmark::DoNotOptimize(png_size);
  }
  state.counters["text_chars"] = static_cast<double>(text.size());
  state.counters["png_bytes"] = static_cast<double>(png_size);
  SetRate(state);
}

void BM_QrPngOnly(benchmark::State& state) {
  const std::string& text = WorldFor(Algorithm::kEd25519).pool.front();
  const qr::QrCode qr = Must(qr::QrCode::Encode(text), "QrCode::Encode");
  for (auto _ : state) {
    auto png = qr.ToPng();
    if (!png.ok()) {
      state.SkipWithError(png.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(png->data());
  }
  state.counters["qr_version"] = qr.version();
  SetRate(state);
}

BENCHMARK_CAPTURE(BM_CodeMake, Ed25519, Algorithm::kEd25519);
BENCHMARK_CAPTURE(BM_CodeMake, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_CodeMake, SM2, Algorithm::kSm2);
BENCHMARK_CAPTURE(BM_VerifyCold, Ed25519, Algorithm::kEd25519);
BENCHMARK_CAPTURE(BM_VerifyCold, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_VerifyCold, SM2, Algorithm::kSm2);
BENCHMARK_CAPTURE(BM_VerifyCached, Ed25519, Algorithm::kEd25519);
BENCHMARK_CAPTURE(BM_VerifyCached, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_VerifyCached, SM2, Algorithm::kSm2);
BENCHMARK_CAPTURE(BM_RawVerify, Ed25519, Algorithm::kEd25519);
BENCHMARK_CAPTURE(BM_RawVerify, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_RawVerify, SM2, Algorithm::kSm2);
BENCHMARK_CAPTURE(BM_KeyVerify, Ed25519, Algorithm::kEd25519);
BENCHMARK_CAPTURE(BM_KeyVerify, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_KeyVerify, SM2, Algorithm::kSm2);
BENCHMARK_CAPTURE(BM_ParseCredential, Ed25519, Algorithm::kEd25519);
BENCHMARK_CAPTURE(BM_ParseCredential, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_ParseCredential, SM2, Algorithm::kSm2);
BENCHMARK(BM_QrPng)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_QrPngOnly)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace citycode
