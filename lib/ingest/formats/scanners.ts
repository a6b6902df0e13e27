// Secret-scanner reports → exposure records. The found secret is hashed (SHA-256 base64url,
// the same fingerprint tokens carry) and goes nowhere else. Both scanners are accepted as a
// JSON array (gitleaks' default report, pretty-printed) or as JSON lines (TruffleHog's --json).
import type { ExposureRecord } from '../../domain/types.ts';
import { sha256B64url } from '../../credentials/fingerprint.ts';
import { endJsonRecords, feedJsonLine, newJsonRecordState, type JsonRecordState } from '../json-records.ts';
import { SERVICE_LINE, SKIP, err, type LineParser, type ParseContext, type ParseResult } from '../types.ts';
import { FieldError, guard, isObject, pickStr, type Json } from '../fields.ts';
import { parseTime } from '../time.ts';

function state(ctx: ParseContext): JsonRecordState {
  let s = ctx.state.jsonRecords as JsonRecordState | undefined;
  if (!s) {
    s = newJsonRecordState();
    ctx.state.jsonRecords = s;
  }
  return s;
}

function scannerParser(format: 'gitleaks' | 'trufflehog', toRecord: (o: Json, ctx: ParseContext) => ParseResult): LineParser {
  return {
    format,
    parseLine(text, ctx) {
      return guard(() => {
        const items = feedJsonLine(state(ctx), text, ctx.maxRecordBytes);
        const results = items.map((it) => {
          if ('error' in it) return it.error;
          if (!isObject(it.value)) return err('not_an_object', 'expected a JSON object');
          const o = it.value;
          return guard(() => toRecord(o, ctx));
        });
        const [first, ...rest] = results;
        ctx.pending.push(...rest);
        return first ?? SKIP;
      });
    },
    end(ctx) {
      return endJsonRecords(state(ctx));
    },
  };
}

function secretOf(o: Json, key: string, scanner: string): string {
  const v = o[key];
  if (v === undefined || v === null || v === '') throw new FieldError('missing_field', `${scanner} finding without "${key}"`);
  if (typeof v !== 'string') throw new FieldError('wrong_type', `"${key}" should be a string`);
  if (v === 'REDACTED' || /^\*+$/.test(v)) throw new FieldError('secret_redacted', `${scanner} ran with redaction: nothing to fingerprint (re-run without --redact)`);
  return v;
}

export const gitleaksParser = scannerParser('gitleaks', (o, ctx) => {
  const secret = secretOf(o, 'Secret', 'gitleaks');
  const file = pickStr(o, 'File');
  const line = pickStr(o, 'StartLine');
  const rec: ExposureRecord = {
    fingerprint: sha256B64url(secret),
    scanner: 'gitleaks',
    ruleId: pickStr(o, 'RuleID'),
    location: file ? (line ? `${file}:${line}` : file) : null,
    commit: pickStr(o, 'Commit'),
    foundAt: parseTime(o.Date, ctx.timeZone) ?? ctx.now(),
  };
  return { kind: 'exposure', exposure: rec };
});

/** TruffleHog's SourceMetadata.Data.<SourceKind>.{file|path|link, line, commit, timestamp}. */
function truffleSource(o: Json): { location: string | null; commit: string | null; when: Date | null } {
  const meta = o.SourceMetadata;
  const data = isObject(meta) && isObject(meta.Data) ? meta.Data : null;
  const kind = data ? Object.values(data).find(isObject) : undefined;
  if (!kind) return { location: null, commit: null, when: null };
  const file = pickStr(kind, 'file', 'path', 'link', 'url', 'bucket');
  const repo = pickStr(kind, 'repository');
  const line = pickStr(kind, 'line');
  const where = file ? (line ? `${file}:${line}` : file) : null;
  return {
    location: repo && where && !where.startsWith('http') ? `${repo} ${where}` : where ?? repo,
    commit: pickStr(kind, 'commit'),
    when: parseTime(kind.timestamp),
  };
}

export const trufflehogParser = scannerParser('trufflehog', (o, ctx) => {
  // TruffleHog's own log lines (level/msg) are not findings.
  if (!('Raw' in o) && !('DetectorName' in o) && ('level' in o || 'msg' in o)) return SERVICE_LINE;
  const secret = secretOf(o, 'Raw', 'trufflehog');
  const src = truffleSource(o);
  const rec: ExposureRecord = {
    fingerprint: sha256B64url(secret),
    scanner: 'trufflehog',
    ruleId: pickStr(o, 'DetectorName', 'DetectorType'),
    location: src.location,
    commit: src.commit,
    foundAt: src.when ?? ctx.now(),
  };
  return { kind: 'exposure', exposure: rec };
});
