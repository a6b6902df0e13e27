// A thumbprint, key or token given as the next argument may begin with `-` (base64url): it is the
// option's value, not an ambiguous option. Found when a generated certificate's x5t#S256 began with
// `-` and `holdfast verify mtls --x5t <it>` exited 2.
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { attachDashValues } from './main.ts';

const OPTIONS = { x5t: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, cert: { type: 'string' } } as const;

describe('attachDashValues', () => {
  it('attaches a value that begins with a dash to its string option', () => {
    expect(attachDashValues(['--cert', 'a.pem', '--x5t', '-Ab_c', '--json'], OPTIONS)).toEqual(['--cert', 'a.pem', '--x5t=-Ab_c', '--json']);
    expect(attachDashValues(['--x5t', '--Zz9'], OPTIONS)).toEqual(['--x5t=--Zz9']);
    const parsed = parseArgs({ args: attachDashValues(['--x5t', '-Ab_c'], OPTIONS), options: OPTIONS, strict: true });
    expect(parsed.values.x5t).toBe('-Ab_c');
  });

  it('leaves a missing value missing: the next argument is one of the options', () => {
    expect(attachDashValues(['--x5t', '--json'], OPTIONS)).toEqual(['--x5t', '--json']);
    expect(attachDashValues(['--x5t', '-h'], OPTIONS)).toEqual(['--x5t', '-h']);
    expect(attachDashValues(['--x5t', '--cert=a.pem'], OPTIONS)).toEqual(['--x5t', '--cert=a.pem']);
    expect(() => parseArgs({ args: attachDashValues(['--x5t', '--json'], OPTIONS), options: OPTIONS, strict: true })).toThrow(/ambiguous/);
  });

  it('leaves boolean options, positionals and the end of options alone', () => {
    expect(attachDashValues(['--json', '-x', 'file', '--x5t', '--'], OPTIONS)).toEqual(['--json', '-x', 'file', '--x5t', '--']);
  });
});
