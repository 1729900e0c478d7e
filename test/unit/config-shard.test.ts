import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, USAGE } from '../../src/config.ts';

describe('--shard-key', () => {
  const cases: {
    name: string;
    argv: string[];
    env: Record<string, string>;
    selector: string;
    lease: string;
    shardKey: string | undefined;
  }[] = [
    {
      name: 'no flag: the default shard, only unlabelled Pipelines',
      argv: [],
      env: {},
      selector: '!sharding.conveyor.dev/key',
      lease: 'conveyor-leader',
      shardKey: undefined,
    },
    {
      name: 'a key: only Pipelines with that label value, its own Lease',
      argv: ['--shard-key', 'a'],
      env: {},
      selector: 'sharding.conveyor.dev/key=a',
      lease: 'conveyor-leader-a',
      shardKey: 'a',
    },
    {
      name: 'from the environment',
      argv: [],
      env: { CONVEYOR_SHARD_KEY: 'shard-2' },
      selector: 'sharding.conveyor.dev/key=shard-2',
      lease: 'conveyor-leader-shard-2',
      shardKey: 'shard-2',
    },
    {
      name: 'the flag before the environment',
      argv: ['--shard-key', 'b'],
      env: { CONVEYOR_SHARD_KEY: 'c' },
      selector: 'sharding.conveyor.dev/key=b',
      lease: 'conveyor-leader-b',
      shardKey: 'b',
    },
    {
      name: 'an empty environment variable is no key',
      argv: [],
      env: { CONVEYOR_SHARD_KEY: '' },
      selector: '!sharding.conveyor.dev/key',
      lease: 'conveyor-leader',
      shardKey: undefined,
    },
  ];
  it.each(cases)('$name', ({ argv, env, selector, lease, shardKey }) => {
    expect(loadConfig(argv, env)).toMatchObject({ pipelineSelector: selector, leaderElectionId: lease, shardKey });
  });

  it('an explicit --leader-election-id wins over the shard Lease name', () => {
    expect(loadConfig(['--shard-key', 'a', '--leader-election-id', 'mine'], {})).toMatchObject({
      leaderElectionId: 'mine',
    });
  });

  it.each(['', 'A', 'a_b', '-a', 'a-', 'a.b', 'x'.repeat(48), 'a b'])(
    'refuses "%s", naming the flag and the rule',
    (raw) => {
      expect(() => loadConfig([`--shard-key=${raw}`], {})).toThrow(ConfigError);
      expect(() => loadConfig([`--shard-key=${raw}`], {})).toThrow(
        `--shard-key: expected a DNS label of at most 47 characters (lowercase letters, digits and '-', starting and ending with a letter or digit), got "${raw}"`,
      );
    },
  );

  it('accepts a key of 47 characters', () => {
    expect(loadConfig(['--shard-key', 'k'.repeat(47)], {})).toMatchObject({ shardKey: 'k'.repeat(47) });
  });

  it('is in the usage text', () => {
    expect(USAGE).toContain('--shard-key KEY');
    expect(USAGE).toContain('sharding.conveyor.dev/key');
  });
});
