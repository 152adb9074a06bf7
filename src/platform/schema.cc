#include "platform/schema.h"

#include <array>

namespace citycode::platform {
namespace {

// Times are unix seconds (BIGINT); ids are made by the application. Columns
// named sealed_* hold envelope-encrypted personal data (platform/keyring.h);
// *_index columns hold keyed hashes for lookups, never the value.
const std::array<store::Migration, 12> kMigrations = {{
    {1, "platform",
     R"sql(
CREATE TABLE platform_keys (
  id TEXT PRIMARY KEY,               -- the key id (kid), hex
  purpose TEXT NOT NULL CHECK (purpose IN ('root', 'signing')),
  algorithm TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  sealed_private_key BLOB NOT NULL,
  not_before BIGINT NOT NULL,        -- signing: signs from here on
  not_after BIGINT NOT NULL,         -- trust list drops it after this
  created_at BIGINT NOT NULL
);
CREATE TABLE signed_lists (
  name TEXT PRIMARY KEY CHECK (name IN ('trust', 'revocation')),
  version BIGINT NOT NULL,
  jws TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  stale BIGINT NOT NULL DEFAULT 0    -- 1: content changed, re-sign before serving
);
CREATE TABLE citizens (
  id TEXT PRIMARY KEY,
  phone_index BLOB NOT NULL UNIQUE,
  id_number_index BLOB NOT NULL UNIQUE,
  sealed_name BLOB NOT NULL,
  sealed_id_number BLOB NOT NULL,
  sealed_phone BLOB NOT NULL,
  password_hash TEXT NOT NULL,
  rider_category TEXT NOT NULL DEFAULT 'adult',
  demo BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE sessions (
  token_hash BLOB PRIMARY KEY,
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_citizen ON sessions(citizen_id);
CREATE TABLE organisations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  demo BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE sites (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX sites_org ON sites(org_id);
CREATE TABLE terminals (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  site_id TEXT NOT NULL REFERENCES sites(id),
  scene TEXT NOT NULL,
  name TEXT NOT NULL,
  active BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL
);
CREATE INDEX terminals_org ON terminals(org_id);
-- Every bearer key except citizen sessions: platform admins, organisation
-- admins, terminals and issuing channels. Only a hash of the secret is kept.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('admin', 'org_admin', 'terminal', 'channel')),
  org_id TEXT REFERENCES organisations(id),
  terminal_id TEXT REFERENCES terminals(id),
  channel TEXT,
  name TEXT NOT NULL,
  secret_hash BLOB NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX api_keys_terminal ON api_keys(terminal_id);
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  public_key BLOB NOT NULL,          -- SubjectPublicKeyInfo DER
  label TEXT NOT NULL,
  channel TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'unbound', 'lost')),
  created_at BIGINT NOT NULL,
  ended_at BIGINT
);
CREATE INDEX devices_citizen ON devices(citizen_id);
CREATE TABLE credentials (
  id BLOB PRIMARY KEY,               -- cti
  subject BLOB NOT NULL UNIQUE,      -- the pseudonym the code carries
  device_id TEXT NOT NULL REFERENCES devices(id),
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  signing_key_id TEXT NOT NULL REFERENCES platform_keys(id),
  scenes TEXT NOT NULL,
  channel TEXT NOT NULL,
  rider_category TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  revoke_reason TEXT
);
CREATE INDEX credentials_device ON credentials(device_id);
CREATE INDEX credentials_revoked ON credentials(revoked_at, expires_at);
-- City-wide replay detection: one row per accepted presentation (cti, t, n)
-- until it could no longer pass the freshness check.
CREATE TABLE presentations_seen (
  replay_key BLOB PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX presentations_seen_expiry ON presentations_seen(expires_at);
CREATE TABLE verifications (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  terminal_id TEXT NOT NULL REFERENCES terminals(id),
  org_id TEXT NOT NULL REFERENCES organisations(id),
  scene TEXT NOT NULL,
  valid BIGINT NOT NULL,
  reason TEXT NOT NULL,
  credential_id BLOB
);
CREATE INDEX verifications_terminal ON verifications(terminal_id, at);
)sql"},
    // Which scan recorded a presentation (terminal#sequence), so that the
    // same scan uploaded again after a failure is not its own replay.
    {2, "presentations_seen_scan", R"sql(
ALTER TABLE presentations_seen ADD COLUMN scan_id TEXT;
)sql"},
    // Real-name identity (identities.h). citizens.id_number_index holds,
    // from here on, the registered claim bound to its account, so a claim
    // on another person's number blocks nobody; the person is found by
    // identities.id_number_index. A claimed age gives no senior fare.
    {3, "identities", R"sql(
CREATE TABLE identities (
  id TEXT PRIMARY KEY,               -- new whenever the identity is verified again
  citizen_id TEXT NOT NULL UNIQUE REFERENCES citizens(id),
  id_number_index BLOB NOT NULL UNIQUE,  -- one account per person
  sealed_name BLOB NOT NULL,
  sealed_id_number BLOB NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('identity_online', 'identity_in_person')),
  method TEXT NOT NULL,              -- 'oidc' or 'counter'
  source TEXT NOT NULL,              -- the provider's issuer, or the window's terminal id
  verified_at BIGINT NOT NULL
);
CREATE TABLE identity_events (
  id TEXT PRIMARY KEY,
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  at BIGINT NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('verified', 'replaced', 'moved_away')),
  level TEXT NOT NULL,
  method TEXT NOT NULL,
  source TEXT NOT NULL
);
CREATE INDEX identity_events_citizen ON identity_events(citizen_id, at);
CREATE TABLE identity_nonces (
  nonce_hash BLOB PRIMARY KEY,
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  expires_at BIGINT NOT NULL
);
CREATE INDEX identity_nonces_citizen ON identity_nonces(citizen_id);
UPDATE citizens SET rider_category = 'adult' WHERE rider_category = 'senior';
)sql"},
    // Phones proven by a one-time code (registration.cc): the codes waiting
    // for their phone, and the sends that rate limits count.
    {4, "phone_codes", R"sql(
ALTER TABLE citizens ADD COLUMN phone_verified_at BIGINT;
CREATE TABLE phone_codes (
  id TEXT PRIMARY KEY,
  phone_index BLOB NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('register', 'reset')),
  code_index BLOB NOT NULL,          -- keyed hash of phone and code
  sealed_pending BLOB,               -- register: the registration waiting for its code
  tries BIGINT NOT NULL DEFAULT 0,
  expires_at BIGINT NOT NULL,
  UNIQUE (phone_index, purpose)
);
CREATE INDEX phone_codes_expiry ON phone_codes(expires_at);
CREATE TABLE phone_code_sends (
  id TEXT PRIMARY KEY,
  phone_index BLOB NOT NULL,
  address_index BLOB NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX phone_code_sends_phone ON phone_code_sends(phone_index, at);
CREATE INDEX phone_code_sends_address ON phone_code_sends(address_index, at);
)sql"},
    // Codes for a change of phone too. Codes live minutes, so the table is
    // made again rather than altered (SQLite cannot change a CHECK).
    {5, "phone_codes_phone_change", R"sql(
DROP TABLE phone_codes;
CREATE TABLE phone_codes (
  id TEXT PRIMARY KEY,
  phone_index BLOB NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('register', 'reset', 'phone_change')),
  code_index BLOB NOT NULL,          -- keyed hash of phone and code
  sealed_pending BLOB,               -- what the code releases (a registration, an account)
  tries BIGINT NOT NULL DEFAULT 0,
  expires_at BIGINT NOT NULL,
  UNIQUE (phone_index, purpose)
);
CREATE INDEX phone_codes_expiry ON phone_codes(expires_at);
)sql"},
    // Dependants (vault.h): a device a guardian holds for a dependant's
    // account, and an identity withdrawn when its guardian link ends. The
    // events table is made again to widen its CHECK (SQLite cannot alter
    // one).
    {6, "dependants", R"sql(
ALTER TABLE devices ADD COLUMN guardian_id TEXT REFERENCES citizens(id);
CREATE TABLE identity_events_v6 (
  id TEXT PRIMARY KEY,
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  at BIGINT NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('verified', 'replaced', 'moved_away', 'withdrawn')),
  level TEXT NOT NULL,
  method TEXT NOT NULL,
  source TEXT NOT NULL
);
INSERT INTO identity_events_v6 (id, citizen_id, at, event, level, method, source)
  SELECT id, citizen_id, at, event, level, method, source FROM identity_events;
DROP TABLE identity_events;
ALTER TABLE identity_events_v6 RENAME TO identity_events;
CREATE INDEX identity_events_citizen ON identity_events(citizen_id, at);
)sql"},
    // A deleted account (Citizens::Erase) keeps its row, erased.
    {7, "citizens_erased_at", R"sql(
ALTER TABLE citizens ADD COLUMN erased_at BIGINT;
)sql"},
    // Staff who sign in at their organisation's counters (staff.h).
    {8, "staff", R"sql(
CREATE TABLE staff (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  login TEXT NOT NULL,
  sealed_name BLOB NOT NULL,
  password_hash TEXT NOT NULL,
  active BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (org_id, login)
);
CREATE TABLE staff_sessions (
  token_hash BLOB PRIMARY KEY,
  staff_id TEXT NOT NULL REFERENCES staff(id),
  terminal_id TEXT NOT NULL REFERENCES terminals(id),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions(staff_id);
)sql"},
    // The id a device's next credential will carry, chosen when the current
    // one is issued, so an offline gate's allow-list (scenes/access) admits
    // the renewed code before the phone has fetched it.
    {9, "devices_next_credential", R"sql(
ALTER TABLE devices ADD COLUMN next_credential_id BLOB;
)sql"},
    // Printed cards (cards.h): a card is a credential without a device, so
    // device_id becomes nullable, only for channel 'card' (SQLite cannot
    // drop a NOT NULL: the table is made again; nothing references it). A
    // card keeps the window and clerk that issued it; at most one
    // unrevoked card per citizen (issuing a new one revokes the old one in
    // the same transaction). card_uses counts a card's online uses for its
    // use limit: a small table of its own rather than an index on every
    // verification.
    {10, "cards", R"sql(
CREATE TABLE credentials_v10 (
  id BLOB PRIMARY KEY,               -- cti
  subject BLOB NOT NULL UNIQUE,      -- the pseudonym the code carries
  device_id TEXT REFERENCES devices(id),  -- NULL for a printed card only
  citizen_id TEXT NOT NULL REFERENCES citizens(id),
  signing_key_id TEXT NOT NULL REFERENCES platform_keys(id),
  scenes TEXT NOT NULL,
  channel TEXT NOT NULL,
  rider_category TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  revoke_reason TEXT,
  card_terminal_id TEXT REFERENCES terminals(id),  -- a card: the window that issued it
  card_staff_id TEXT REFERENCES staff(id),         -- and its clerk
  CHECK ((device_id IS NULL) = (channel = 'card'))
);
INSERT INTO credentials_v10 (id, subject, device_id, citizen_id, signing_key_id, scenes, channel,
                             rider_category, issued_at, expires_at, revoked_at, revoke_reason)
  SELECT id, subject, device_id, citizen_id, signing_key_id, scenes, channel, rider_category,
         issued_at, expires_at, revoked_at, revoke_reason FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_v10 RENAME TO credentials;
CREATE INDEX credentials_device ON credentials(device_id);
CREATE INDEX credentials_revoked ON credentials(revoked_at, expires_at);
CREATE UNIQUE INDEX credentials_live_card ON credentials(citizen_id)
  WHERE channel = 'card' AND revoked_at IS NULL;
CREATE TABLE card_uses (
  verification_id TEXT PRIMARY KEY,
  credential_id BLOB NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX card_uses_credential ON card_uses(credential_id, at);
)sql"},
    // The operator's dashboard (activity.h): hourly totals of verifications,
    // added once per ended hour; `through` is the first hour not totalled.
    // The index covers the counts of the hours not yet totalled.
    {11, "verification_hours", R"sql(
CREATE INDEX verifications_at ON verifications(at, scene, valid, reason);
CREATE TABLE verification_hours (
  hour BIGINT NOT NULL,
  scene TEXT NOT NULL,
  valid BIGINT NOT NULL,
  reason TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (hour, scene, valid, reason)
);
CREATE TABLE verification_rollup (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  through BIGINT NOT NULL
);
INSERT INTO verification_rollup (id, through) VALUES (1, 0);
)sql"},
    // Enrolment looks a device key up among the active ones: without this
    // it read every device (a city's million phones) for each new one.
    {12, "devices_active_key", R"sql(
CREATE INDEX devices_active_key ON devices(public_key) WHERE state = 'active';
)sql"},
}};

}  // namespace

std::span<const store::Migration> Migrations() { return kMigrations; }

}  // namespace citycode::platform
