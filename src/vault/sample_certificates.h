// Plausible certificates for the demo city, tests, bulk files and
// benchmarks: every face field filled with a value of the right shape.
#ifndef CITYCODE_VAULT_SAMPLE_CERTIFICATES_H_
#define CITYCODE_VAULT_SAMPLE_CERTIFICATES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "vault/certificate.h"
#include "vault/certificate_types.h"

namespace citycode::vault {

struct SampleHolder {
  std::string name;
  std::string id_number;  // resident ID number, or a credit code for a business licence
};

struct SampleIssuer {
  std::string name;
  std::string credit_code;
};

// A valid certificate of `type` with serial `serial` (its identifier made
// with the right check character), issued on `issue_date` and valid until
// `valid_until` ("" for long-term).
Result<Certificate> SampleCertificate(const CertificateType& type, const SampleHolder& holder,
                                      const SampleIssuer& issuer, std::uint64_t serial,
                                      std::string_view issue_date, std::string_view valid_until);

}  // namespace citycode::vault

#endif  // CITYCODE_VAULT_SAMPLE_CERTIFICATES_H_
