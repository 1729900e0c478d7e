// Where a CLI command writes and reads. Its own module so that commands need not import main.ts,
// which loads them (main.ts ↔ validate.ts was an import cycle).

/** One call per line (no trailing newline); stdin for `-`, as bytes so each command decodes it strictly. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  stdin?: () => Promise<string | Uint8Array>;
}
