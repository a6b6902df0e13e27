// The Simulate page's CLI line: every selector of a policy written as its flag, and read back by the
// command into the same policy (values with quotes and spaces survive the shell quoting).
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parsePolicy, type SimulationPolicy } from '../../simulate/index.ts';
import { simulateCommand, simulateCommandLine, simulationFromFlags } from './simulate.ts';

/** POSIX shell words of a line that quotes with '…' only (as shellQuote writes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ') {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      cur = (cur ?? '') + line[++i];
    } else cur = (cur ?? '') + c;
  }
  if (cur !== null) words.push(cur);
  return words;
}

const RANGE = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };

describe('simulateCommandLine', () => {
  it.each<[string, SimulationPolicy]>([
    ['no scope', { require: 'mtls' }],
    ['every selector', parsePolicy({ require: 'dpop', maxTtlSeconds: 600, scope: { source: "edge o'brien", gateway: 'gw 1', routePrefix: '*.api.test/v1', identity: { kind: 'agent', nameGlob: 'svc-*', privileged: false }, audience: 'orders api' } })],
    ['privileged tokens only', parsePolicy({ require: 'bound', scope: { identity: { privileged: true } } })],
  ])('%s: the line reads back as the same policy and range', (_n, policy) => {
    const line = simulateCommandLine(policy, RANGE);
    const [cmd, verb, ...args] = shellWords(line);
    expect([cmd, verb]).toEqual(['holdfast', 'simulate']);
    const { values, positionals } = parseArgs({ args, options: { ...simulateCommand.options, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
    const { json: _json, ...flags } = values;
    const back = simulationFromFlags({ values: flags, positionals });
    expect(back.policy).toEqual(policy);
    expect({ from: back.from.toISOString(), to: back.to.toISOString() }).toEqual(RANGE);
  });
});
