// The string formats of the Pipeline schema, shared by the generator of the precompiled validator
// (schema-validator-source.ts, at `npm run generate`) and by that validator when it runs.

// RFC 3339, as Kubernetes writes timestamps.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export const SCHEMA_FORMATS = {
  'date-time': { validate: (value: string) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) },
};
