#include "crypto/aead.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <new>

#include "crypto/internal/openssl.h"
#include "crypto/internal/sm4.h"
#include "crypto/random.h"

namespace citycode::crypto {
namespace {

using internal::OpenSslPtr;
using CipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

constexpr std::size_t kGcmNonce = 12;
constexpr std::size_t kGcmTag = 16;
constexpr std::size_t kCtrNonce = 16;
constexpr std::size_t kMacTag = 32;

// Cipher operations on valid sizes fail only when memory runs out.
[[noreturn]] void OutOfMemory() {
  internal::ClearOpenSslErrors();
  throw std::bad_alloc();
}

// Fetched once: with the legacy EVP_aes_256_gcm(), OpenSSL 3 looks the
// implementation up again on every init, which costs more than sealing a
// small record.
const EVP_CIPHER* FetchedCipher(const char* name) {
  const EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr) OutOfMemory();
  return cipher;
}
const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* const cipher = FetchedCipher("AES-256-GCM");
  return cipher;
}

CipherCtxPtr NewCipherCtx() {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) OutOfMemory();
  return ctx;
}

Bytes SealGcm(const AeadKey& key, ByteView plaintext, ByteView aad) {
  Bytes out(1 + kGcmNonce + plaintext.size() + kGcmTag);
  out[0] = static_cast<std::uint8_t>(CipherProfile::kAes256Gcm);
  std::uint8_t* nonce = out.data() + 1;
  FillRandom({nonce, kGcmNonce});
  auto ctx = NewCipherCtx();
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, key.data(), nonce) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                         static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), nonce + kGcmNonce, &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nonce + kGcmNonce + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTag,
                          out.data() + out.size() - kGcmTag) != 1) {
    OutOfMemory();
  }
  return out;
}

Result<Bytes> OpenGcm(const AeadKey& key, ByteView sealed, ByteView aad) {
  if (sealed.size() < 1 + kGcmNonce + kGcmTag) return InvalidArgument("sealed value too short");
  const std::uint8_t* nonce = sealed.data() + 1;
  ByteView ciphertext = sealed.subspan(1 + kGcmNonce, sealed.size() - 1 - kGcmNonce - kGcmTag);
  Bytes tag(sealed.end() - kGcmTag, sealed.end());
  Bytes out(ciphertext.size());
  auto ctx = NewCipherCtx();
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, key.data(), nonce) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                         static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTag, tag.data()) != 1) {
    OutOfMemory();
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) != 1) {
    internal::ClearOpenSslErrors();
    return Unauthenticated("sealed value does not authenticate");
  }
  return out;
}

std::array<std::uint8_t, kMacTag> CtrMac(ByteView mac_key, ByteView header_and_nonce, ByteView aad,
                                         ByteView ciphertext) {
  Bytes input;
  input.reserve(header_and_nonce.size() + 8 + aad.size() + ciphertext.size());
  input.insert(input.end(), header_and_nonce.begin(), header_and_nonce.end());
  const std::uint64_t aad_size = aad.size();
  for (int shift = 56; shift >= 0; shift -= 8) input.push_back(std::uint8_t(aad_size >> shift));
  input.insert(input.end(), aad.begin(), aad.end());
  input.insert(input.end(), ciphertext.begin(), ciphertext.end());
  return Hmac(CipherProfile::kSm4CtrHmacSm3, mac_key, input);
}

Bytes SealSm4(const AeadKey& key, ByteView plaintext, ByteView aad) {
  const ByteView enc_key(key.data(), 16), mac_key(key.data() + 16, 16);
  Bytes out(1 + kCtrNonce);
  out[0] = static_cast<std::uint8_t>(CipherProfile::kSm4CtrHmacSm3);
  FillRandom({out.data() + 1, kCtrNonce});
  Bytes ciphertext = internal::Sm4CtrXor(enc_key, ByteView(out).subspan(1), plaintext);
  auto tag = CtrMac(mac_key, out, aad, ciphertext);
  out.insert(out.end(), ciphertext.begin(), ciphertext.end());
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

Result<Bytes> OpenSm4(const AeadKey& key, ByteView sealed, ByteView aad) {
  if (sealed.size() < 1 + kCtrNonce + kMacTag) return InvalidArgument("sealed value too short");
  const ByteView enc_key(key.data(), 16), mac_key(key.data() + 16, 16);
  ByteView header = sealed.first(1 + kCtrNonce);
  ByteView ciphertext = sealed.subspan(1 + kCtrNonce, sealed.size() - 1 - kCtrNonce - kMacTag);
  auto expected = CtrMac(mac_key, header, aad, ciphertext);
  if (!ConstantTimeEqual(expected, sealed.last(kMacTag))) {
    return Unauthenticated("sealed value does not authenticate");
  }
  return internal::Sm4CtrXor(enc_key, header.subspan(1), ciphertext);
}

}  // namespace

namespace internal {

const EVP_CIPHER* Sm4Ctr() {
  static const EVP_CIPHER* const cipher = FetchedCipher("SM4-CTR");
  return cipher;
}

Bytes Sm4CtrXor(ByteView key, ByteView counter_block, ByteView data) {
  Bytes out(data.size());
  auto ctx = NewCipherCtx();
  int len = 0, final_len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), Sm4Ctr(), nullptr, key.data(), counter_block.data()) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, data.data(), static_cast<int>(data.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) {
    OutOfMemory();
  }
  return out;
}

}  // namespace internal

std::string_view CipherProfileName(CipherProfile profile) {
  switch (profile) {
    case CipherProfile::kAes256Gcm: return "aes-256-gcm";
    case CipherProfile::kSm4CtrHmacSm3: return "sm4-ctr-hmac-sm3";
  }
  return "unknown";
}

Result<CipherProfile> CipherProfileFromName(std::string_view name) {
  for (auto profile : {CipherProfile::kAes256Gcm, CipherProfile::kSm4CtrHmacSm3}) {
    if (name == CipherProfileName(profile)) return profile;
  }
  return InvalidArgument("unknown cipher profile (aes-256-gcm or sm4-ctr-hmac-sm3)");
}

Bytes Seal(CipherProfile profile, const AeadKey& key, ByteView plaintext, ByteView aad) {
  return profile == CipherProfile::kAes256Gcm ? SealGcm(key, plaintext, aad)
                                              : SealSm4(key, plaintext, aad);
}

Result<CipherProfile> SealedProfile(ByteView sealed) {
  if (sealed.empty()) return InvalidArgument("sealed value is empty");
  switch (sealed[0]) {
    case 1: return CipherProfile::kAes256Gcm;
    case 2: return CipherProfile::kSm4CtrHmacSm3;
  }
  return InvalidArgument("sealed value names an unknown cipher profile");
}

Result<Bytes> Open(const AeadKey& key, ByteView sealed, ByteView aad) {
  CITYCODE_ASSIGN_OR_RETURN(CipherProfile profile, SealedProfile(sealed));
  return profile == CipherProfile::kAes256Gcm ? OpenGcm(key, sealed, aad)
                                              : OpenSm4(key, sealed, aad);
}

std::array<std::uint8_t, 32> Hmac(CipherProfile profile, ByteView key, ByteView data) {
  std::array<std::uint8_t, 32> out;
  unsigned int size = 0;
  const EVP_MD* md =
      profile == CipherProfile::kAes256Gcm ? internal::Sha256Md() : internal::Sm3Md();
  // A non-null key even when empty: HMAC() fails on a null one.
  static const unsigned char kEmpty = 0;
  if (HMAC(md, key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()), data.data(),
           data.size(), out.data(), &size) == nullptr ||
      size != out.size()) {
    OutOfMemory();
  }
  return out;
}

}  // namespace citycode::crypto
