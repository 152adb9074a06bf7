// A credential issuer kept in one directory of files, for the CLI, the demo
// and tests. (The platform service keeps its keys in its store instead.)
//
//   D/root.key     root private key, PKCS#8 PEM, mode 0600; signs the lists
//   D/root.pem     root public key; reaches terminals out of band
//   D/signing.key  credential signing key, PKCS#8 PEM, mode 0600
//   D/trust.json   trust list (JWS) naming the signing key
//   D/revoked.json revocation list (JWS)
//
// Not safe for concurrent writers: one operator runs one command at a time.
#ifndef CITYCODE_FILE_ISSUER_ISSUER_DIR_H_
#define CITYCODE_FILE_ISSUER_ISSUER_DIR_H_

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "code/credential.h"
#include "code/trust_list.h"
#include "common/clock.h"
#include "common/status.h"
#include "crypto/key.h"

namespace citycode::file_issuer {

struct IssuerOptions {
  crypto::Algorithm algorithm = crypto::Algorithm::kEd25519;
  std::string issuer_id = "citycode:jimo";
  std::chrono::seconds signing_key_lifetime = std::chrono::days(365);
  // Terminals must fetch a new trust list before this; after it they still
  // verify but warn (stale_trust_list).
  std::chrono::seconds trust_list_lifetime = std::chrono::days(30);
  std::chrono::seconds revocation_list_lifetime = std::chrono::days(2);
};

struct CredentialRequest {
  crypto::PublicKey device_key;
  std::vector<code::Scene> scenes;
  code::Channel channel = code::Channel::kApp;
  std::optional<code::RiderCategory> rider_category;
  std::chrono::seconds lifetime = std::chrono::hours(24);
};

struct IssuedCredential {
  Bytes bytes;  // the tagged COSE_Sign1
  code::CredentialClaims claims;
};

class IssuerDir {
 public:
  // Creates the keys and lists in `dir` (created if missing).
  // already_exists if `dir` already holds an issuer.
  static Result<IssuerDir> Init(const std::filesystem::path& dir, const IssuerOptions& options,
                                const Clock& clock);
  // Loads an issuer made by Init; the lists must verify with the root key.
  static Result<IssuerDir> Open(const std::filesystem::path& dir, const Clock& clock);

  // A credential with a fresh random sub and cti.
  Result<IssuedCredential> Issue(const CredentialRequest& request) const;
  // Adds `cti` to the revocation list and re-signs it with a higher version.
  Status Revoke(const code::CredentialId& cti);

  const code::TrustList& trust_list() const { return trust_list_; }
  const code::RevocationList& revocation_list() const { return revocation_list_; }
  const crypto::PublicKey& root_public_key() const { return root_.public_key(); }

 private:
  IssuerDir(std::filesystem::path dir, const Clock& clock, crypto::PrivateKey root,
            crypto::PrivateKey signer)
      : dir_(std::move(dir)), clock_(&clock), root_(std::move(root)), signer_(std::move(signer)) {}

  std::filesystem::path dir_;
  const Clock* clock_;
  crypto::PrivateKey root_;
  crypto::PrivateKey signer_;
  code::TrustList trust_list_;
  code::RevocationList revocation_list_;
  IssuerOptions options_;
};

}  // namespace citycode::file_issuer

#endif  // CITYCODE_FILE_ISSUER_ISSUER_DIR_H_
