// CLI output discipline (CONTRACT.md): with --json only JSON on stdout, messages on stderr;
// exit 0 success, 1 failed check or operation, 2 bad usage or input; one-line reasons.
import { isHoldfastError } from '../errors.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

export interface Io {
  json: boolean;
  debug: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function emit(io: Io, value: unknown, human: () => string): void {
  if (io.json) io.out(JSON.stringify(value) + '\n');
  else io.out(human() + '\n');
}

export function emitLines(io: Io, rows: unknown[], human: (row: unknown) => string): void {
  for (const r of rows) io.out((io.json ? JSON.stringify(r) : human(r)) + '\n');
}

export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return 2;
  if (e instanceof CheckFailed) return 1;
  if (isHoldfastError(e)) {
    switch (e.code) {
      case 'bad_request':
      case 'validation_failed':
      case 'unsupported_media_type':
      case 'payload_too_large':
      case 'config_invalid':
        return 2;
      default:
        return 1;
    }
  }
  return 1;
}

export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.slice(0, 500);
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
