// Test-only: where NIST's official OSCAL 1.0.4 assessment-results JSON schema is kept (see
// fixtures/README.md), for every test that validates an export against it.
import { fileURLToPath } from 'node:url';

export const OSCAL_SCHEMA_PATH = fileURLToPath(new URL('./fixtures/oscal_assessment-results_schema-1.0.4.json', import.meta.url));
