// The operator's version, shown by the CLI and in logs.
export const VERSION = '0.1.0';
