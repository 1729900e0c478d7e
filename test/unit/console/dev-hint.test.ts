// `npm run dev`'s closing hint (hack/dev-hint.ts): the way back into the Console it gives is the
// one the Console's security allows, and each `conveyor` command it suggests is one the CLI parses.
import { describe, expect, it } from 'vitest';
import { closingHint } from '../../../hack/dev-hint.ts';
import { parseDashboardArgs } from '../../../src/cli/dashboard.ts';
import { main } from '../../../src/cli/main.ts';

const hint = closingHint({
  consoleUrl: 'http://127.0.0.1:41234/?token=one-time-secret',
  kubeconfig: '/home/me/.kwok/clusters/conveyor/kubeconfig.yaml',
  namespace: 'conveyor-demo',
  name: 'etl-nightly',
});

/** The arguments after `npx conveyor` on each line that suggests one, without the comment. */
function conveyorCommands(text: string): string[][] {
  return text.split('\n').flatMap((line) => {
    const m = /npx conveyor ([^#(]+)/.exec(line);
    return m ? [m[1]!.trim().split(/\s+/)] : [];
  });
}

describe('npm run dev: the closing hint', () => {
  it('starts another run with conveyor run, not by writing the annotation by hand', () => {
    expect(hint).toContain('npx conveyor run etl-nightly -n conveyor-demo');
    expect(hint).not.toContain('annotate');
  });

  it("sends the user back to the Console's address, not to the used-up link", () => {
    expect(hint).toContain('http://127.0.0.1:41234/ in the browser the link signed in');
    expect(hint).not.toContain('token=');
    expect(hint).toContain('npx conveyor dashboard --open');
  });

  it('suggests only commands the CLI parses', async () => {
    const commands = conveyorCommands(hint);
    expect(commands.map((args) => args[0])).toEqual(['describe', 'run', 'dashboard']);
    for (const args of commands) {
      if (args[0] === 'dashboard') {
        expect(parseDashboardArgs(args.slice(1))).toMatchObject({ open: true });
        continue;
      }
      // Arguments are parsed before the kubeconfig is read: a missing one is the only complaint.
      const errors: string[] = [];
      const io = {
        out: () => undefined,
        err: (text: string) => void errors.push(text),
        stdin: async () => Buffer.alloc(0),
      };
      expect(await main([...args, '--kubeconfig', '/nonexistent/kubeconfig'], io)).toBe(1);
      expect(errors.join('\n')).toMatch(/ENOENT.*\/nonexistent\/kubeconfig/);
    }
  });
});
