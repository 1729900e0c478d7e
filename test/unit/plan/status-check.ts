// The status schema (the CRD's status subresource) as a test check: what the planner writes must
// be accepted by the API server, or every status write fails.
import { expect } from 'vitest';
import { Ajv } from 'ajv';
import { PipelineStatusSchema } from '../../../src/api/schema.ts';
import type { PipelineStatus } from '../../../src/api/types.ts';

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
const validate = ajv.compile(PipelineStatusSchema);

/** Fails the test with the schema's errors when `status` would be refused. */
export function expectValidStatus(status: PipelineStatus | undefined): void {
  validate(status);
  expect(validate.errors ?? []).toEqual([]);
}
