// How the citizen's views are rendered as JSON, shared by their own routes
// (/v1/me/…) and a guardian's for a dependant (/v1/me/dependants/{id}/…).
#ifndef CITYCODE_SERVER_INTERNAL_VIEWS_H_
#define CITYCODE_SERVER_INTERNAL_VIEWS_H_

#include <nlohmann/json.hpp>
#include <vector>

#include "api/route.h"
#include "platform/platform.h"
#include "vault/vault.h"

namespace citycode::server::internal {

nlohmann::json CredentialJson(const platform::IssuedCredential& issued);
nlohmann::json IdentityJson(const platform::IdentityStatus& status);
nlohmann::json GrantJson(const vault::Grant& g);
nlohmann::json DependantJson(const vault::Dependant& d);
nlohmann::json DevicesJson(const std::vector<platform::Device>& devices);
nlohmann::json CertificatesJson(const std::vector<vault::CertificateSummary>& list);
nlohmann::json AccessHistoryJson(const std::vector<vault::AccessRecord>& records);

// Enrolling a device: its body, and the call that binds the key for
// `citizen_id` (held by `guardian_id` for a dependant, "" for oneself).
std::vector<api::Field> DeviceBody();
api::Response EnrolDevice(platform::Platform& p, api::Call& call, const std::string& citizen_id,
                          const std::string& guardian_id);

}  // namespace citycode::server::internal

#endif  // CITYCODE_SERVER_INTERNAL_VIEWS_H_
