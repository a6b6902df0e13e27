// RFC 4180 record splitting for one logical record (quoted fields may span lines; the caller
// joins physical lines until the quotes balance).

export type CsvSplit = { fields: string[] } | { unterminated: true } | { error: string };

export function splitCsvRecord(s: string): CsvSplit {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (s[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q === -1) return { unterminated: true };
        v += s.slice(i, q);
        if (s[q + 1] === '"') {
          v += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(v);
      if (i === s.length) return { fields };
      if (s[i] !== ',') return { error: `unexpected character after a quoted field at column ${i + 1}` };
      i++;
    } else {
      const c = s.indexOf(',', i);
      const v = c === -1 ? s.slice(i) : s.slice(i, c);
      if (v.includes('"')) return { error: `quote inside an unquoted field at column ${i + 1 + v.indexOf('"')}` };
      fields.push(v);
      if (c === -1) return { fields };
      i = c + 1;
    }
  }
}
