import { createWriteStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonChunks, writeJsonExport } from './json.ts';
import { looksLikeRawToken } from './redact.ts';
import { meta, RAW_JWT, smallSource, tmpFile } from './testing/export-rows.ts';

describe('JSON export', () => {
  it('writes the full mapping with evidence references, version, time and author', async () => {
    const file = tmpFile('export.json');
    const r = await writeJsonExport(meta(), smallSource(), createWriteStream(file));
    const raw = readFileSync(file);
    expect(r.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    const doc = JSON.parse(raw.toString('utf8'));
    expect(doc).toMatchObject({
      format: 'holdfast.framework-export',
      framework: { id: 'nist-csf-2.0', version: '2.0', catalogVersion: '1' },
      generatedAt: '2026-11-22T09:00:00.000Z',
      generatedBy: 'auditor@example.com',
      counts: { controls: 19, findings: 2, evidenceRows: 2 },
    });
    const aa05 = doc.controls.find((c: { id: string }) => c.id === 'PR.AA-05');
    expect(aa05.csf11).toEqual(['PR.AC-1', 'PR.AC-3', 'PR.AC-4']);
    const aa02 = doc.controls.find((c: { id: string }) => c.id === 'PR.AA-02');
    expect(aa02.status).toBe('not_satisfied');
    expect(aa02.evidence.map((e: { subject: string }) => e.subject)).toContain('unbound_high_risk');
    expect(aa02.evidence.find((e: { subject: string }) => e.subject === 'unbound_high_risk').ref).toBe('#/findings?rule=unbound_high_risk');
    expect(doc.findings[0].controls).toEqual(['PR.AA-02', 'PR.AA-03']);
    expect(doc.findings[0].remediation).toMatch(/bind with DPoP/);
    expect(doc.positiveEvidence[1].detail).toBe('presented with Bearer [redacted]');
    expect(raw.toString()).not.toContain(RAW_JWT);
    expect(looksLikeRawToken(raw.toString())).toBe(false);
  });

  it('yields string chunks that concatenate to the same document', async () => {
    let text = '';
    for await (const c of jsonChunks(meta(), smallSource())) text += c;
    const sink: Buffer[] = [];
    await writeJsonExport(meta(), smallSource(), new Writable({ write(c, _e, cb) { sink.push(c as Buffer); cb(); } }));
    expect(Buffer.concat(sink).toString('utf8')).toBe(text);
  });
});
