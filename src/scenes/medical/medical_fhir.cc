// The medical scene in HL7 FHIR R4 under /fhir/r4 (docs/FHIR.md), for the
// hospitals' own systems: each route maps one use case of the scene to
// resources and back, and no rule lives here. The caller is a terminal of
// the hospital (its key, as for /v1), and sees only its hospital's
// resources; a patient is a pseudonym of their own at that hospital
// (Patient/pat-…), never an ID number or the platform's id.
//
// Versions: a resource's versionId counts the changes of its state, which
// only move forward (an appointment booked 1, arrived or cancelled or a
// no-show 2, fulfilled 3; an encounter in progress 1, finished 2; a
// prescription active 1, completed or stopped 2), so a stale If-Match is
// refused with 412.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/route.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "fhir/fhir.h"
#include "scenes/medical/internal/rows.h"
#include "scenes/medical/medical.h"
#include "vault/certificate_types.h"

namespace citycode::medical {
namespace {

using api::Call;
using api::Method;
using api::Response;
using api::RouteSpec;
using nlohmann::json;

constexpr std::string_view kExtension = "https://citycode.cn/fhir/StructureDefinition/";
constexpr std::size_t kMaxCodeBytes = 4096;  // as /v1's qr field
// When the CapabilityStatement below last changed.
constexpr std::string_view kStatementDate = "2026-12-06";

std::string Version(int n) { return std::to_string(n); }
json Meta(int version) { return {{"versionId", Version(version)}}; }
json Ref(std::string_view type, std::string_view id) {
  return {{"reference", fhir::Reference(type, id)}};
}

// The calling terminal's hospital.
Result<std::string> HospitalOf(const Call& call) {
  CITYCODE_RETURN_IF_ERROR(internal::RequireMedicalTerminal(*call.principal));
  return call.principal->org_id;
}

// The citycode id in the path's {id}.
Result<std::string> PathId(const Call& call) { return fhir::FromId(api::Param(call, "id")); }

Response Answer(const Result<json>& resource, int status = 200) {
  if (!resource.ok()) return fhir::OutcomeResponse(resource.status());
  return fhir::ResourceResponse(status, *resource);
}

// --- resources ---

json PractitionerResource(const Clinician& c) {
  return {{"resourceType", "Practitioner"},
          {"id", fhir::ToId(c.id)},
          {"meta", Meta(1)},
          {"active", true},
          {"name", {{{"text", c.name}}}},
          {"qualification", {{{"code", {{"text", c.title}}}}}}};
}

json PatientResource(std::string_view alias) {
  return {
      {"resourceType", "Patient"}, {"id", fhir::ToId(alias)}, {"meta", Meta(1)}, {"active", true}};
}

json ScheduleResource(const Schedule& s) {
  json out = {{"resourceType", "Schedule"},
              {"id", fhir::ToId(s.id)},
              {"meta", Meta(s.stopped_at ? 2 : 1)},
              {"active", !s.stopped_at.has_value()},
              {"actor", {Ref("Practitioner", s.clinician_id)}},
              {"planningHorizon",
               {{"start", FormatRfc3339(s.starts_at)}, {"end", FormatRfc3339(s.ends_at)}}}};
  if (!s.slots.empty()) {
    out["serviceType"] = {{{"text", s.slots.front().department_name}}};
    out["actor"][0]["display"] = s.slots.front().clinician_name;
  }
  if (s.stopped_at) out["comment"] = "停诊 (stopped)";
  return out;
}

std::string_view SlotStatus(const Slot& s) {
  if (s.stopped) return "busy-unavailable";
  return s.booked >= s.capacity ? "busy" : "free";
}

json Money(std::int64_t fen) {
  return {{"value", static_cast<double>(fen) / 100.0}, {"currency", "CNY"}};
}

json SlotResource(const Slot& s) {
  return {{"resourceType", "Slot"},
          {"id", fhir::ToId(s.id)},
          {"schedule", Ref("Schedule", s.schedule_id)},
          {"status", SlotStatus(s)},
          {"start", FormatRfc3339(s.starts_at)},
          {"end", FormatRfc3339(s.ends_at)},
          {"serviceType", {{{"text", s.department_name}}}},
          {"extension",
           {{{"url", std::string(kExtension) + "slot-capacity"}, {"valueInteger", s.capacity}},
            {{"url", std::string(kExtension) + "slot-remaining"},
             {"valueInteger", std::max<std::int64_t>(0, s.capacity - s.booked)}},
            {{"url", std::string(kExtension) + "registration-fee"},
             {"valueMoney", Money(s.fee_fen)}}}}};
}

// FHIR's status of the appointment, and its version.
std::pair<std::string_view, int> AppointmentStatus(const Appointment& a,
                                                   const std::optional<Encounter>& encounter) {
  if (encounter) return encounter->closed_at ? std::pair{"fulfilled", 3} : std::pair{"arrived", 2};
  switch (a.state) {
    case AppointmentState::kBooked: return {"booked", 1};
    case AppointmentState::kNoShow: return {"noshow", 2};
    case AppointmentState::kCancelled:
    case AppointmentState::kStopped: return {"cancelled", 2};
  }
  return {"booked", 1};
}

// "system|value" as an Identifier.
json IdentifierJson(std::string_view token) {
  const std::size_t bar = token.find('|');
  if (bar == std::string_view::npos) return {{"value", token}};
  return {{"system", token.substr(0, bar)}, {"value", token.substr(bar + 1)}};
}

json AppointmentResource(const Appointment& a, const std::optional<Encounter>& encounter,
                         std::string_view patient_alias) {
  const auto [status, version] = AppointmentStatus(a, encounter);
  json out = {{"resourceType", "Appointment"},
              {"id", fhir::ToId(a.id)},
              {"meta", Meta(version)},
              {"status", status},
              {"serviceType", {{{"text", a.slot.department_name}}}},
              {"start", FormatRfc3339(a.slot.starts_at)},
              {"end", FormatRfc3339(a.slot.ends_at)},
              {"created", FormatRfc3339(a.booked_at)},
              {"slot", {Ref("Slot", a.slot.id)}},
              {"participant",
               {{{"actor", Ref("Patient", patient_alias)}, {"status", "accepted"}},
                {{"actor", Ref("Practitioner", a.slot.clinician_id)}, {"status", "accepted"}}}}};
  if (!a.booking_identifier.empty())
    out["identifier"] = json::array({IdentifierJson(a.booking_identifier)});
  if (a.state == AppointmentState::kStopped)
    out["cancelationReason"] = {{"text", "停诊 (schedule_stopped)"}};
  return out;
}

json EncounterResource(const Encounter& e, std::string_view patient_alias) {
  json period = {{"start", FormatRfc3339(e.opened_at)}};
  if (e.closed_at) period["end"] = FormatRfc3339(*e.closed_at);
  return {{"resourceType", "Encounter"},
          {"id", fhir::ToId(e.id)},
          {"meta", Meta(e.closed_at ? 2 : 1)},
          {"status", e.closed_at ? "finished" : "in-progress"},
          {"class",
           {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
            {"code", "AMB"},
            {"display", "ambulatory"}}},
          {"subject", Ref("Patient", patient_alias)},
          {"participant", {{{"individual", Ref("Practitioner", e.clinician_id)}}}},
          {"appointment", {Ref("Appointment", e.appointment_id)}},
          {"period", period}};
}

// A prescription's item as a resource id: "rx-3f…-2" for the second.
std::string ItemId(const Prescription& p, std::size_t index) {
  return fhir::ToId(p.id) + "-" + std::to_string(index + 1);
}

// The prescription and item index an item id names.
Result<std::pair<std::string, std::size_t>> FromItemId(std::string_view fhir_id) {
  const std::size_t dash = fhir_id.rfind('-');
  if (dash == std::string_view::npos || dash + 1 >= fhir_id.size() || fhir_id.size() - dash > 3) {
    return NotFound("no such prescription item");
  }
  const std::string number(fhir_id.substr(dash + 1));
  if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return NotFound("no such prescription item");
  }
  CITYCODE_ASSIGN_OR_RETURN(std::string prescription, fhir::FromId(fhir_id.substr(0, dash)));
  const std::size_t n = std::stoul(number);
  if (n == 0) return NotFound("no such prescription item");
  return std::pair{prescription, n - 1};
}

json MedicationRequestResource(const Prescription& p, std::size_t index, const Encounter& e,
                               std::string_view patient_alias, Instant now) {
  const PrescriptionItem& item = p.items.at(index);
  const bool done = p.dispensed_at.has_value();
  const bool stopped = !done && now >= p.valid_until;
  return {{"resourceType", "MedicationRequest"},
          {"id", ItemId(p, index)},
          {"meta", Meta(done || stopped ? 2 : 1)},
          {"status", done      ? "completed"
                     : stopped ? "stopped"
                               : "active"},
          {"intent", "order"},
          {"groupIdentifier",
           {{"system", "https://citycode.cn/fhir/prescription"}, {"value", fhir::ToId(p.id)}}},
          {"medicationCodeableConcept", {{"text", item.drug}}},
          {"subject", Ref("Patient", patient_alias)},
          {"encounter", Ref("Encounter", p.encounter_id)},
          {"requester", Ref("Practitioner", e.clinician_id)},
          {"authoredOn", FormatRfc3339(p.issued_at)},
          {"dispenseRequest",
           {{"validityPeriod",
             {{"start", FormatRfc3339(p.issued_at)}, {"end", FormatRfc3339(p.valid_until)}}},
            {"quantity", {{"value", item.quantity}}}}},
          {"extension",
           {{{"url", std::string(kExtension) + "unit-price"},
             {"valueMoney", Money(item.unit_price_fen)}}}}};
}

json MedicationDispenseResource(const Prescription& p, std::size_t index,
                                std::string_view patient_alias) {
  const PrescriptionItem& item = p.items.at(index);
  return {{"resourceType", "MedicationDispense"},
          {"id", ItemId(p, index)},
          {"meta", Meta(1)},
          {"identifier",
           {{{"system", "https://citycode.cn/fhir/pharmacy-queue-number"},
             {"value", std::to_string(p.queue_number)}}}},
          {"status", "completed"},
          {"medicationCodeableConcept", {{"text", item.drug}}},
          {"subject", Ref("Patient", patient_alias)},
          {"authorizingPrescription", {{{"reference", "MedicationRequest/" + ItemId(p, index)}}}},
          {"quantity", {{"value", item.quantity}}},
          {"whenHandedOver", FormatRfc3339(p.dispensed_at.value())}};
}

// A health record the vault released: its signed certificate as the
// attachment, so the receiving system can check the issuer's signature.
json DocumentReferenceResource(const vault::SignedCertificate& record,
                               std::string_view patient_alias, std::string_view encounter_id) {
  const vault::Certificate& c = record.certificate;
  const std::string digest = ToHex(crypto::Sha256(AsBytes(c.identifier)));
  const vault::CertificateType* type = vault::FindCertificateType(c.type_code);
  json type_json = {{"text", c.name}};
  if (type != nullptr && type->key == "visit_summary") {
    type_json["coding"] = {
        {{"system", "http://loinc.org"}, {"code", "34108-1"}, {"display", "Outpatient Note"}}};
  } else if (type != nullptr && type->key == "lab_result") {
    type_json["coding"] = {
        {{"system", "http://loinc.org"}, {"code", "11502-2"}, {"display", "Laboratory report"}}};
  }
  const std::string signed_json = vault::CertificateToJson(record).dump();
  return {
      {"resourceType", "DocumentReference"},
      {"id", "doc-" + digest.substr(0, 32)},
      {"masterIdentifier",
       {{"system", "https://citycode.cn/fhir/certificate-identifier"}, {"value", c.identifier}}},
      {"status", c.status == vault::CertificateStatus::kValid ? "current" : "superseded"},
      {"type", type_json},
      {"subject", Ref("Patient", patient_alias)},
      {"date", c.issue_date + "T00:00:00+08:00"},
      {"description", c.issuer_name},
      {"content",
       {{{"attachment",
          {{"contentType", "application/json"},
           {"data", Base64Encode(AsBytes(signed_json))},
           {"title", c.name}}}}}},
      {"context", {{"encounter", {Ref("Encounter", encounter_id)}}}}};
}

json ConsentResource(const vault::Grant& g, std::string_view patient_alias, Instant now) {
  const bool live = !g.revoked_at && now < g.expires_at;
  json classes = json::array();
  for (const std::string& code : g.type_codes) {
    const vault::CertificateType* type = vault::FindCertificateType(code);
    classes.push_back({{"system", "https://citycode.cn/fhir/CodeSystem/certificate-type"},
                       {"code", type != nullptr ? type->key : code}});
  }
  return {
      {"resourceType", "Consent"},
      {"id", fhir::ToId(g.id)},
      {"meta", Meta(live ? 1 : 2)},
      {"status", live ? "active" : "inactive"},
      {"scope",
       {{"coding",
         {{{"system", "http://terminology.hl7.org/CodeSystem/consentscope"},
           {"code", "patient-privacy"}}}}}},
      {"category", {{{"coding", {{{"system", "http://loinc.org"}, {"code", "59284-0"}}}}}}},
      {"patient", Ref("Patient", patient_alias)},
      {"dateTime", FormatRfc3339(g.created_at)},
      {"policyRule",
       {{"coding",
         {{{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", "OPTIN"}}}}}},
      {"provision",
       {{"type", "permit"},
        {"period",
         {{"start", FormatRfc3339(g.created_at)},
          {"end", FormatRfc3339(g.revoked_at.value_or(g.expires_at))}}},
        {"class", classes}}}};
}

// --- the routes' bodies ---

class FhirHandlers {
 public:
  explicit FhirHandlers(MedicalScene& scene, vault::Vault& vault) : scene_(scene), vault_(vault) {}

  Result<json> Practitioner(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(std::string id, PathId(call));
    CITYCODE_ASSIGN_OR_RETURN(Clinician c, scene_.HospitalClinician(org, id));
    return PractitionerResource(c);
  }

  Result<json> Patient(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(std::string alias, PathId(call));
    CITYCODE_RETURN_IF_ERROR(scene_.PatientOfAlias(org, alias).status());
    return PatientResource(alias);
  }

  Result<json> ScheduleRead(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(std::string id, PathId(call));
    CITYCODE_ASSIGN_OR_RETURN(Schedule s, scene_.HospitalSchedule(org, id));
    return ScheduleResource(s);
  }

  Result<json> ScheduleSearch(const Call& call) {
    static constexpr std::string_view kParams[] = {"date", "actor", "active"};
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(fhir::Search search, fhir::ReadSearch(call.request, kParams));
    CITYCODE_ASSIGN_OR_RETURN(std::string day, Day(search.Get("date"), "date"));
    CITYCODE_ASSIGN_OR_RETURN(std::vector<Schedule> schedules, scene_.HospitalSchedules(org, day));
    std::string actor;
    if (!search.Get("actor").empty()) {
      CITYCODE_ASSIGN_OR_RETURN(actor, fhir::FromReference(search.Get("actor"), "Practitioner"));
    }
    std::vector<json> matches;
    for (const Schedule& s : schedules) {
      if (!actor.empty() && s.clinician_id != actor) continue;
      if (!search.Get("active").empty() &&
          (search.Get("active") == "true") != !s.stopped_at.has_value()) {
        continue;
      }
      matches.push_back(ScheduleResource(s));
    }
    return fhir::SearchBundle(call.request, "Schedule", search, matches);
  }

  Result<json> SlotRead(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(std::string id, PathId(call));
    CITYCODE_ASSIGN_OR_RETURN(Slot s, scene_.HospitalSlot(org, id));
    return SlotResource(s);
  }

  // By schedule, or by the local day of their start; then by status.
  Result<json> SlotSearch(const Call& call) {
    static constexpr std::string_view kParams[] = {"schedule", "start", "status"};
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(fhir::Search search, fhir::ReadSearch(call.request, kParams));
    std::string day;
    if (!search.Get("start").empty()) {
      CITYCODE_ASSIGN_OR_RETURN(day, Day(search.Get("start"), "start"));
    }
    std::vector<Schedule> schedules;
    if (!search.Get("schedule").empty()) {
      CITYCODE_ASSIGN_OR_RETURN(std::string id,
                                fhir::FromReference(search.Get("schedule"), "Schedule"));
      auto schedule = scene_.HospitalSchedule(org, id);
      if (schedule.ok())
        schedules.push_back(*std::move(schedule));
      else if (schedule.status().code() != StatusCode::kNotFound)
        return schedule.status();
    } else {
      CITYCODE_ASSIGN_OR_RETURN(day, Day(search.Get("start"), "start"));
      CITYCODE_ASSIGN_OR_RETURN(schedules, scene_.HospitalSchedules(org, day));
    }
    std::vector<json> matches;
    for (const Schedule& schedule : schedules) {
      for (const Slot& slot : schedule.slots) {
        if (!day.empty() && slot.day != day) continue;
        if (!search.Get("status").empty() && SlotStatus(slot) != search.Get("status")) continue;
        matches.push_back(SlotResource(slot));
      }
    }
    return fhir::SearchBundle(call.request, "Slot", search, matches);
  }

  Result<json> AppointmentRead(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(std::string id, PathId(call));
    CITYCODE_ASSIGN_OR_RETURN(Appointment a, scene_.HospitalAppointment(org, id));
    return AppointmentOf(org, a);
  }

  // A booking by the code shown at the kiosk (the extension scanned-code),
  // idempotent under If-None-Exist: identifier=system|value.
  Response AppointmentCreate(const Call& call) {
    auto org = HospitalOf(call);
    if (!org.ok()) return fhir::OutcomeResponse(org.status());
    auto request = fhir::ParseResource(call.request.body, "Appointment");
    if (!request.ok()) return fhir::OutcomeResponse(request.status());
    auto identifier = ConditionalIdentifier(call.request);
    if (!identifier.ok()) return fhir::OutcomeResponse(identifier.status());
    if (!identifier->empty()) {
      auto earlier = scene_.AppointmentByIdentifier(*org, *identifier);
      if (!earlier.ok()) return fhir::OutcomeResponse(earlier.status());
      if (*earlier) return Answer(AppointmentOf(*org, **earlier), 200);
    }
    auto slot = SlotOf(*request);
    if (!slot.ok()) return fhir::OutcomeResponse(slot.status());
    auto code = ScannedCode(*request);
    if (!code.ok()) return fhir::OutcomeResponse(code.status());
    auto booked = scene_.BookAtTerminal(*call.principal, *code, *slot, *identifier);
    if (!booked.ok() && booked.status().reason() == "booking_identifier_taken") {
      // A concurrent create under the same identifier won.
      auto earlier = scene_.AppointmentByIdentifier(*org, *identifier);
      if (earlier.ok() && *earlier) return Answer(AppointmentOf(*org, **earlier), 200);
    }
    if (!booked.ok()) return fhir::OutcomeResponse(booked.status());
    Response created = Answer(AppointmentOf(*org, *booked), 201);
    if (created.status == 201) {
      created.headers.emplace_back("Location", std::string(fhir::kBasePath) + "/Appointment/" +
                                                   fhir::ToId(booked->id) + "/_history/1");
    }
    return created;
  }

  // An update may only cancel (退号): status "cancelled", nothing else
  // changed; If-Match guards against a lost update.
  Result<json> AppointmentUpdate(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(std::string id, PathId(call));
    CITYCODE_ASSIGN_OR_RETURN(json update, fhir::ParseResource(call.request.body, "Appointment"));
    CITYCODE_ASSIGN_OR_RETURN(std::optional<int> expected, fhir::IfMatch(call.request));
    if (api::TextAt(update, "id") != api::Param(call, "id")) {
      return InvalidArgument("the body's id must be the path's", "id_mismatch");
    }
    CITYCODE_ASSIGN_OR_RETURN(Appointment a, scene_.HospitalAppointment(org, id));
    CITYCODE_ASSIGN_OR_RETURN(json current, AppointmentOf(org, a));
    CITYCODE_RETURN_IF_ERROR(
        fhir::CheckVersion(expected, std::stoi(current["meta"]["versionId"].get<std::string>())));
    if (api::TextAt(update, "status") != "cancelled") {
      return InvalidArgument("an update may only set status to cancelled", "update_not_supported");
    }
    CITYCODE_ASSIGN_OR_RETURN(Appointment cancelled, scene_.CancelAtHospital(*call.principal, id));
    return AppointmentOf(org, cancelled);
  }

  Result<json> CheckIn(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(std::string id, PathId(call));
    CITYCODE_ASSIGN_OR_RETURN(std::string code, CodeParameter(call.request.body));
    CITYCODE_RETURN_IF_ERROR(scene_.CheckIn(*call.principal, code, /*walk_in=*/false, id).status());
    CITYCODE_ASSIGN_OR_RETURN(Appointment a, scene_.HospitalAppointment(org, id));
    return AppointmentOf(org, a);
  }

  Result<json> EncounterRead(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(std::string id, PathId(call));
    CITYCODE_ASSIGN_OR_RETURN(Encounter e, scene_.HospitalEncounter(org, id));
    CITYCODE_ASSIGN_OR_RETURN(std::string alias, scene_.PatientAlias(org, e.citizen_id));
    return EncounterResource(e, alias);
  }

  Result<json> MedicationRequestRead(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(auto item, FromItemId(api::Param(call, "id")));
    CITYCODE_ASSIGN_OR_RETURN(Prescription p, scene_.HospitalPrescription(org, item.first));
    if (item.second >= p.items.size()) return NotFound("no such prescription item");
    return MedicationRequestOf(org, p, item.second);
  }

  // The prescriptions of an encounter, item by item.
  Result<json> MedicationRequestSearch(const Call& call) {
    static constexpr std::string_view kParams[] = {"encounter"};
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(fhir::Search search, fhir::ReadSearch(call.request, kParams));
    CITYCODE_ASSIGN_OR_RETURN(std::string encounter,
                              fhir::FromReference(search.Get("encounter"), "Encounter"));
    CITYCODE_ASSIGN_OR_RETURN(std::vector<Prescription> prescriptions,
                              scene_.EncounterPrescriptions(org, encounter));
    std::vector<json> matches;
    for (const Prescription& p : prescriptions) {
      for (std::size_t i = 0; i < p.items.size(); ++i) {
        CITYCODE_ASSIGN_OR_RETURN(json resource, MedicationRequestOf(org, p, i));
        matches.push_back(std::move(resource));
      }
    }
    return fhir::SearchBundle(call.request, "MedicationRequest", search, matches);
  }

  // The pharmacy dispenses the whole prescription the item belongs to (the
  // scene dispenses prescriptions), answering the item's dispense.
  Result<json> Dispense(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(auto item, FromItemId(api::Param(call, "id")));
    CITYCODE_ASSIGN_OR_RETURN(std::string code, CodeParameter(call.request.body));
    CITYCODE_ASSIGN_OR_RETURN(Prescription before, scene_.HospitalPrescription(org, item.first));
    if (item.second >= before.items.size()) return NotFound("no such prescription item");
    CITYCODE_ASSIGN_OR_RETURN(Prescription p, scene_.Dispense(*call.principal, code, item.first));
    CITYCODE_ASSIGN_OR_RETURN(std::string alias, scene_.PatientAlias(org, p.citizen_id));
    return MedicationDispenseResource(p, item.second, alias);
  }

  Result<json> MedicationDispenseRead(const Call& call) {
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(auto item, FromItemId(api::Param(call, "id")));
    CITYCODE_ASSIGN_OR_RETURN(Prescription p, scene_.HospitalPrescription(org, item.first));
    if (item.second >= p.items.size() || !p.dispensed_at) return NotFound("not dispensed");
    CITYCODE_ASSIGN_OR_RETURN(std::string alias, scene_.PatientAlias(org, p.citizen_id));
    return MedicationDispenseResource(p, item.second, alias);
  }

  // The patient's health records, read by the desk of an encounter under
  // the patient's health-data consent (ReadRecords: the vault's rules).
  Result<json> DocumentReferenceSearch(const Call& call) {
    static constexpr std::string_view kParams[] = {"encounter"};
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(fhir::Search search, fhir::ReadSearch(call.request, kParams));
    CITYCODE_ASSIGN_OR_RETURN(std::string encounter_id,
                              fhir::FromReference(search.Get("encounter"), "Encounter"));
    CITYCODE_ASSIGN_OR_RETURN(Encounter e, scene_.HospitalEncounter(org, encounter_id));
    CITYCODE_ASSIGN_OR_RETURN(
        vault::Release release,
        scene_.ReadRecords(*call.principal, encounter_id, "门诊就诊调阅 (FHIR)"));
    CITYCODE_ASSIGN_OR_RETURN(std::string alias, scene_.PatientAlias(org, e.citizen_id));
    std::vector<json> matches;
    for (const vault::FetchedCertificate& fetched : release.certificates) {
      matches.push_back(DocumentReferenceResource(fetched.certificate, alias, encounter_id));
    }
    return fhir::SearchBundle(call.request, "DocumentReference", search, matches);
  }

  // The patient's health-data grants to this hospital.
  Result<json> ConsentSearch(const Call& call) {
    static constexpr std::string_view kParams[] = {"patient"};
    CITYCODE_ASSIGN_OR_RETURN(std::string org, HospitalOf(call));
    CITYCODE_ASSIGN_OR_RETURN(fhir::Search search, fhir::ReadSearch(call.request, kParams));
    CITYCODE_ASSIGN_OR_RETURN(std::string alias,
                              fhir::FromReference(search.Get("patient"), "Patient"));
    CITYCODE_ASSIGN_OR_RETURN(std::string citizen, scene_.PatientOfAlias(org, alias));
    CITYCODE_ASSIGN_OR_RETURN(std::vector<vault::Grant> grants, vault_.ListGrants(citizen));
    std::vector<json> matches;
    for (const vault::Grant& g : grants) {
      if (g.org_id == org && IsHealthGrant(g))
        matches.push_back(ConsentResource(g, alias, scene_.Now()));
    }
    return fhir::SearchBundle(call.request, "Consent", search, matches);
  }

 private:
  static bool IsHealthGrant(const vault::Grant& g) {
    return !g.type_codes.empty() &&
           std::all_of(g.type_codes.begin(), g.type_codes.end(), [](const std::string& code) {
             const vault::CertificateType* type = vault::FindCertificateType(code);
             return type != nullptr && type->health;
           });
  }

  // A local day "YYYY-MM-DD" (or "eqYYYY-MM-DD"), required.
  static Result<std::string> Day(std::string_view value, std::string_view name) {
    if (value.starts_with("eq")) value.remove_prefix(2);
    if (value.size() != 10) {
      return InvalidArgument("search by " + std::string(name) + "=YYYY-MM-DD (a local day)",
                             "search_needs_day");
    }
    return std::string(value);
  }

  Result<json> AppointmentOf(std::string_view org, const Appointment& a) {
    CITYCODE_ASSIGN_OR_RETURN(std::optional<Encounter> encounter,
                              scene_.EncounterOfAppointment(org, a.id));
    CITYCODE_ASSIGN_OR_RETURN(std::string alias, scene_.PatientAlias(org, a.citizen_id));
    return AppointmentResource(a, encounter, alias);
  }

  Result<json> MedicationRequestOf(std::string_view org, const Prescription& p, std::size_t index) {
    CITYCODE_ASSIGN_OR_RETURN(Encounter e, scene_.HospitalEncounter(org, p.encounter_id));
    CITYCODE_ASSIGN_OR_RETURN(std::string alias, scene_.PatientAlias(org, p.citizen_id));
    return MedicationRequestResource(p, index, e, alias, scene_.Now());
  }

  // If-None-Exist: "identifier=system|value" → "system|value"; "" without.
  static Result<std::string> ConditionalIdentifier(const api::Request& request) {
    const std::string_view header = request.Header("if-none-exist");
    if (header.empty()) return std::string();
    std::map<std::string, std::string> criteria;
    if (!api::ParseForm(header, &criteria) || criteria.size() != 1 ||
        !criteria.contains("identifier") || criteria["identifier"].empty() ||
        criteria["identifier"].size() > 256) {
      return InvalidArgument("If-None-Exist must be identifier=<system>|<value>",
                             "unknown_search_parameter");
    }
    std::string token = criteria["identifier"];
    // An identifier without a system matches any system: too broad to be
    // sure of one match.
    if (token.find('|') == std::string::npos) {
      return FailedPrecondition("If-None-Exist needs the identifier's system", "multiple_matches");
    }
    return token;
  }

  static Result<std::string> SlotOf(const json& appointment) {
    const auto slots = appointment.find("slot");
    if (slots == appointment.end() || !slots->is_array() || slots->size() != 1 ||
        api::TextAt((*slots)[0], "reference").empty()) {
      return InvalidArgument("an Appointment books exactly one slot (slot[0].reference)",
                             "missing_field");
    }
    return fhir::FromReference(api::TextAt((*slots)[0], "reference"), "Slot");
  }

  // The code shown at the kiosk: the extension scanned-code's valueString.
  static Result<std::string> ScannedCode(const json& resource) {
    const std::string url = std::string(kExtension) + "scanned-code";
    std::optional<std::string> code = fhir::ExtensionString(resource, url);
    if (!code || code->empty() || code->size() > kMaxCodeBytes) {
      return InvalidArgument("the Appointment carries the scanned code in the extension " + url,
                             "missing_field");
    }
    return *std::move(code);
  }

  // A Parameters resource with parameter "code" (valueString): the scanned code.
  static Result<std::string> CodeParameter(std::string_view body) {
    CITYCODE_ASSIGN_OR_RETURN(json parameters, fhir::ParseResource(body, "Parameters"));
    std::optional<std::string> code = fhir::ParameterString(parameters, "code");
    if (!code || code->empty() || code->size() > kMaxCodeBytes) {
      return InvalidArgument("Parameters must hold parameter code (valueString, the scanned code)",
                             "missing_field");
    }
    return *std::move(code);
  }

  MedicalScene& scene_;
  vault::Vault& vault_;
};

json Capability() {
  const std::vector<fhir::Interaction> resources = {
      {.type = "Practitioner", .interactions = {"read"}},
      {.type = "Patient", .interactions = {"read"}},
      {.type = "Schedule",
       .interactions = {"read", "search-type"},
       .search_params = {{"date", "date"}, {"actor", "reference"}, {"active", "token"}}},
      {.type = "Slot",
       .interactions = {"read", "search-type"},
       .search_params = {{"schedule", "reference"}, {"start", "date"}, {"status", "token"}}},
      {.type = "Appointment",
       .interactions = {"read", "create", "update"},
       .operations = {"check-in"},
       .conditional_create = true,
       .versioned_update = true},
      {.type = "Encounter", .interactions = {"read"}},
      {.type = "MedicationRequest",
       .interactions = {"read", "search-type"},
       .search_params = {{"encounter", "reference"}},
       .operations = {"dispense"}},
      {.type = "MedicationDispense", .interactions = {"read"}},
      {.type = "DocumentReference",
       .interactions = {"search-type"},
       .search_params = {{"encounter", "reference"}}},
      {.type = "Consent",
       .interactions = {"search-type"},
       .search_params = {{"patient", "reference"}}},
  };
  return fhir::CapabilityStatement(resources, kStatementDate);
}

}  // namespace

std::vector<RouteSpec> MedicalScene::FhirRoutes() {
  auto routes = std::make_shared<FhirHandlers>(*this, vault());
  std::vector<RouteSpec> out;
  const auto add = [&out](Method method, std::string path, std::string name, std::string summary,
                          std::function<Response(Call&)> handler, int success = 200) {
    out.push_back(fhir::Route({.method = method,
                               .pattern = std::string(fhir::kBasePath) + path,
                               .name = "fhir_" + name,
                               .summary = std::move(summary),
                               .roles = api::kTerminals,
                               .success_status = success,
                               .handler = std::move(handler)}));
  };
  const auto read = [routes](Result<json> (FhirHandlers::*f)(const Call&)) {
    return [routes, f](Call& call) { return Answer(((*routes).*f)(call)); };
  };
  add(Method::kGet, "/Practitioner/{id}", "practitioner_read", "A clinician of the hospital",
      read(&FhirHandlers::Practitioner));
  add(Method::kGet, "/Patient/{id}", "patient_read", "A patient by the hospital's pseudonym",
      read(&FhirHandlers::Patient));
  add(Method::kGet, "/Schedule/{id}", "schedule_read", "A clinician's session",
      read(&FhirHandlers::ScheduleRead));
  for (Method m : {Method::kGet, Method::kPost}) {
    const std::string suffix = m == Method::kPost ? "/_search" : "";
    const std::string how = m == Method::kPost ? "_post" : "";
    add(m, "/Schedule" + suffix, "schedule_search" + how, "The hospital's sessions of a day",
        read(&FhirHandlers::ScheduleSearch));
    add(m, "/Slot" + suffix, "slot_search" + how, "Slots by schedule or day, and status",
        read(&FhirHandlers::SlotSearch));
    add(m, "/MedicationRequest" + suffix, "medication_request_search" + how,
        "An encounter's prescriptions, item by item", read(&FhirHandlers::MedicationRequestSearch));
    add(m, "/DocumentReference" + suffix, "document_reference_search" + how,
        "The patient's health records under their consent, for an encounter",
        read(&FhirHandlers::DocumentReferenceSearch));
    add(m, "/Consent" + suffix, "consent_search" + how,
        "The patient's health-data grants to the hospital", read(&FhirHandlers::ConsentSearch));
  }
  add(Method::kGet, "/Slot/{id}", "slot_read", "A slot", read(&FhirHandlers::SlotRead));
  add(
      Method::kPost, "/Appointment", "appointment_create",
      "Book a slot by the scanned code (If-None-Exist: identifier=…)",
      [routes](Call& call) { return routes->AppointmentCreate(call); }, 201);
  add(Method::kGet, "/Appointment/{id}", "appointment_read", "An appointment",
      read(&FhirHandlers::AppointmentRead));
  add(Method::kPut, "/Appointment/{id}", "appointment_update", "Cancel an appointment (If-Match)",
      read(&FhirHandlers::AppointmentUpdate));
  add(Method::kPost, "/Appointment/{id}/$check-in", "appointment_check_in",
      "Check the appointment in by the patient's code (Parameters: code)",
      read(&FhirHandlers::CheckIn));
  add(Method::kGet, "/Encounter/{id}", "encounter_read", "A visit",
      read(&FhirHandlers::EncounterRead));
  add(Method::kGet, "/MedicationRequest/{id}", "medication_request_read", "A prescription item",
      read(&FhirHandlers::MedicationRequestRead));
  add(Method::kPost, "/MedicationRequest/{id}/$dispense", "medication_request_dispense",
      "Dispense the prescription by the patient's code (Parameters: code)",
      read(&FhirHandlers::Dispense));
  add(Method::kGet, "/MedicationDispense/{id}", "medication_dispense_read", "A dispensed item",
      read(&FhirHandlers::MedicationDispenseRead));

  // The statement, public as FHIR clients expect, and an OperationOutcome
  // for every type and interaction not served.
  out.push_back(
      fhir::Route({.method = Method::kGet,
                   .pattern = std::string(fhir::kBasePath) + "/metadata",
                   .name = "fhir_metadata",
                   .summary = "The CapabilityStatement of /fhir/r4",
                   .handler = [](Call&) { return fhir::ResourceResponse(200, Capability()); }}));
  const auto unsupported = [](Call& call) {
    return fhir::OutcomeResponse(NotFound(
        "not served here: see /fhir/r4/metadata (" + api::Param(call, "type").substr(0, 64) + ")",
        "not_supported"));
  };
  int n = 0;
  for (Method m : {Method::kGet, Method::kPost, Method::kPut, Method::kDelete}) {
    for (const char* path : {"/{type}", "/{type}/{id}", "/{type}/{id}/{operation}"}) {
      out.push_back(fhir::Route({.method = m,
                                 .pattern = std::string(fhir::kBasePath) + path,
                                 .name = "fhir_not_supported_" + std::to_string(++n),
                                 .summary = "Not served: an OperationOutcome not-supported",
                                 .roles = api::kTerminals,
                                 .handler = unsupported}));
    }
  }
  return out;
}

}  // namespace citycode::medical
