// CSF 1.1 → CSF 2.0 crosswalk for the subcategories in our CSF 2.0 catalog. Auditors and older
// policies (and our seed texts) still cite 1.1 IDs such as PR.AC-4; we show them through this
// table, never as 2.0 IDs. Only pairs we could check against NIST's published mapping are listed.

export interface Csf11Crosswalk {
  /** CSF 1.1 subcategory ID, e.g. `PR.AC-4`. */
  csf11: string;
  /** The CSF 2.0 subcategories that took it over (limited to our catalog). */
  csf20: readonly string[];
}

export const CSF_11_TO_20: readonly Csf11Crosswalk[] = [
  { csf11: 'PR.AC-1', csf20: ['PR.AA-01', 'PR.AA-05'] },
  { csf11: 'PR.AC-2', csf20: ['PR.AA-06'] },
  { csf11: 'PR.AC-3', csf20: ['PR.AA-03', 'PR.AA-05'] },
  { csf11: 'PR.AC-4', csf20: ['PR.AA-05'] },
  { csf11: 'PR.AC-6', csf20: ['PR.AA-02'] },
  { csf11: 'PR.AC-7', csf20: ['PR.AA-03'] },
  { csf11: 'PR.DS-2', csf20: ['PR.DS-02'] },
  { csf11: 'PR.DS-6', csf20: ['DE.CM-09'] },
  { csf11: 'PR.DS-8', csf20: ['DE.CM-09'] },
  { csf11: 'PR.PT-1', csf20: ['PR.PS-04'] },
  { csf11: 'DE.CM-1', csf20: ['DE.CM-01'] },
  { csf11: 'DE.CM-3', csf20: ['DE.CM-03'] },
  { csf11: 'DE.CM-6', csf20: ['DE.CM-06'] },
  { csf11: 'DE.CM-7', csf20: ['DE.CM-01', 'DE.CM-03', 'DE.CM-06', 'DE.CM-09'] },
  { csf11: 'RS.AN-1', csf20: ['RS.MA-02'] },
  { csf11: 'RS.AN-2', csf20: ['RS.MA-02'] },
  { csf11: 'RS.AN-3', csf20: ['RS.AN-03'] },
  { csf11: 'RS.MI-1', csf20: ['RS.MI-01'] },
  { csf11: 'RS.MI-2', csf20: ['RS.MI-02'] },
];

const BY_CSF11 = new Map(CSF_11_TO_20.map((c) => [c.csf11.toUpperCase(), c]));

/**
 * The CSF 2.0 subcategories a CSF 1.1 ID maps to, or null when the 1.1 ID is not in our table.
 * Accepts `PR.AC-4` and the zero-padded slip `PR.AC-04`.
 */
export function csf11To20(csf11Id: string): readonly string[] | null {
  const m = /^([A-Z]{2})\.([A-Z]{2})-0*(\d+)$/i.exec(csf11Id.trim());
  if (!m) return null;
  const key = `${m[1]}.${m[2]}-${m[3]}`.toUpperCase();
  return BY_CSF11.get(key)?.csf20 ?? null;
}

/** The CSF 1.1 IDs a CSF 2.0 subcategory took over (for "from CSF 1.1" columns). */
export function csf20From11(csf20Id: string): readonly string[] {
  return CSF_11_TO_20.filter((c) => c.csf20.includes(csf20Id)).map((c) => c.csf11);
}
