import { createWriteStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvCell, writeCsvExport } from './csv.ts';
import { looksLikeRawToken } from './redact.ts';
import { meta, smallSource, tmpFile } from './testing/export-rows.ts';

/** Minimal RFC 4180 parser for assertions. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') q = false;
      else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return rows;
}

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=SUM(A1:A2)', "'=SUM(A1:A2)"],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@cmd', "'@cmd"],
    ['=HYPERLINK("x","y")', '"\'=HYPERLINK(""x"",""y"")"'],
    ['\tTAB', "'\tTAB"],
    ['', ''],
  ])('%j → %j', (input, out) => {
    expect(csvCell(input)).toBe(out);
  });
});

describe('CSV export', () => {
  it('writes one row per control × finding with remediation, plus one row per control without findings', async () => {
    const file = tmpFile('export.csv');
    const r = await writeCsvExport(meta(), smallSource(), createWriteStream(file));
    const text = readFileSync(file, 'utf8');
    expect(r.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(r.bytes).toBe(readFileSync(file).length);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const data = rows.slice(1);
    expect(data.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
    // unbound_high_risk → PR.AA-02, PR.AA-03; exposed_active → PR.AA-01, RS.MA-03, RS.MI-02.
    const withFinding = data.filter((r) => r[5] !== '').map((r) => `${r[2]}|${r[6]}`);
    expect(withFinding).toEqual([
      'PR.AA-02|unbound_high_risk',
      'PR.AA-03|unbound_high_risk',
      'PR.AA-01|exposed_active',
      'RS.MA-03|exposed_active',
      'RS.MI-02|exposed_active',
    ]);
    expect(data).toHaveLength(5 + (r.controls - 5));
    expect(r).toMatchObject({ findings: 2, rows: data.length, controls: 19 });
    const first = data[0] ?? [];
    expect(first[12]).toBe('\'=HYPERLINK("http://evil") bind with DPoP, then revoke');
    expect(first[4]).toBe('not_satisfied');
    expect(first[16]).toBe('2026-11-22T09:00:00.000Z');
    expect(first[17]).toBe('auditor@example.com');
    expect(data.find((r) => r[2] === 'PR.AA-06')?.[4]).toBe('not_assessed');
    expect(data.find((r) => r[6] === 'exposed_active')?.[11]).toBe('Leaked, "still" active, token');
    expect(looksLikeRawToken(text)).toBe(false);
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('names the evidence of each status on every row: PR.AA-05 satisfied with 0 findings and 0 checks rests on the mapped rule that ran clean', async () => {
    const file = tmpFile('evidence.csv');
    await writeCsvExport(meta(), smallSource(), createWriteStream(file));
    const [head, ...data] = parseCsv(readFileSync(file, 'utf8'));
    const col = (name: string) => head!.indexOf(name);
    expect(col('control_status_evidence')).toBe(CSV_COLUMNS.length - 1);
    const aa05 = data.find((r) => r[col('control_id')] === 'PR.AA-05')!;
    expect(aa05[col('control_status')]).toBe('satisfied');
    expect(aa05[col('control_status_evidence')]).toMatch(/^0 open findings · checks: 0 passed, 0 failed · rules: 1 of \d+ ran, 1 without an open finding — 1 mapped rule that ran and found nothing open$/);
    expect(data.every((r) => (r[col('control_status_evidence')] ?? '') !== '')).toBe(true);
  });
});
