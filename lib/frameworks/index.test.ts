import { createWriteStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXPORT_FORMATS, isExportFormat, parseCustomFramework, resolveFramework, writeFrameworkExport } from './index.ts';
import { meta, smallSource, tmpFile } from './export/testing/export-rows.ts';

describe('public API', () => {
  it('resolves built-ins and custom frameworks, not_found otherwise', () => {
    expect(resolveFramework('nist-csf-2.0').version).toBe('2.0');
    const custom = parseCustomFramework({ id: 'acme', name: 'ACME', version: '1', controls: [{ id: 'A', title: 'a' }], mapping: [] });
    expect(resolveFramework('acme', [custom]).custom).toBe(true);
    expect(() => resolveFramework('nope')).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it.each(EXPORT_FORMATS)('writeFrameworkExport(%s) writes a file whose SHA-256 it reports', async (format) => {
    expect(isExportFormat(format)).toBe(true);
    const file = tmpFile(`x.${format}`);
    const r = await writeFrameworkExport(format, meta(), smallSource(), createWriteStream(file));
    expect(r.format).toBe(format);
    expect(r.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(r.controls).toBe(19);
    expect(r.findings).toBe(2);
  });
});
