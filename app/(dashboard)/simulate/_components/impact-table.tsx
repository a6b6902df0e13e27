// One ranked dimension of a simulation (identities, tokens, client networks, routes): what the
// policy would refuse per row, why legitimate requests break, and a link to the evidence behind it.
import type { ReactNode } from 'react';
import Link from 'next/link';
import { BROKEN_REASONS, type BrokenReason, type ImpactRow } from '@/lib/simulate/index.ts';
import { fmt } from '../../_components/estate.tsx';

/** Why a legitimate request would break, in words (one place). */
export const BROKEN_WORDS: Record<BrokenReason, string> = {
  bearer: 'bearer (unbound) token',
  bound_without_proof: 'bound token sent without its certificate or proof',
  context_stripped: 'binding context stripped by a hop',
  wrong_mechanism: 'token bound by the other mechanism',
  ttl_over_limit: 'token lifetime over the limit',
};

export function brokenWords(r: Pick<ImpactRow, 'brokenBy'>): string {
  return BROKEN_REASONS.filter((b) => r.brokenBy[b] > 0).map((b) => `${BROKEN_WORDS[b]}: ${fmt(r.brokenBy[b])}`).join('; ');
}

export interface ImpactTableProps<R extends ImpactRow> {
  title: string;
  /** Column header of the row's name. */
  noun: string;
  testId: string;
  rows: R[];
  total: number;
  name: (r: R) => ReactNode;
  /** Where the requests behind the row are listed, with the link's words; null when there is nothing to show. */
  evidence: (r: R) => { href: string; label: string } | null;
}

export function ImpactTable<R extends ImpactRow>({ title, noun, testId, rows, total, name, evidence }: ImpactTableProps<R>) {
  // Requests with no token seen (requests.unknown): a column of their own only when a row has some.
  const unknown = rows.some((r) => r.unknown > 0);
  // Other hops' lines of spoofed paths (requests.sameAttackOtherHops): likewise, only when a row has some.
  const otherHops = rows.some((r) => r.sameAttackOtherHops > 0);
  return (
    <section className="panel" aria-labelledby={`${testId}-title`}>
      <h2 id={`${testId}-title`} style={{ marginTop: 0 }}>
        {title} <span className="muted" style={{ fontSize: '0.85rem', fontWeight: 400 }}>{rows.length < total ? `top ${fmt(rows.length)} of ${fmt(total)}` : fmt(total)}, most refused first</span>
      </h2>
      <table className="data fit" data-testid={testId}>
        <thead>
          <tr>
            <th>{noun}</th>
            <th className="num">Requests</th>
            <th className="num">Would be refused</th>
            <th className="num">Attacks stopped</th>
            <th className="num">Legitimate, would break</th>
            <th>Why legitimate requests break</th>
            <th className="num opt">Already refused</th>
            {unknown ? <th className="num" title="accepted with no token Holdfast knows: whether the policy would refuse them cannot be told">Cannot judge (no token seen)</th> : null}
            {otherHops ? <th className="num" title="lines of a forged-certificate path at hops other than the one its attack is counted on: the attacker's request, not a legitimate client">Same attacks, other hops</th> : null}
            <th>Evidence</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const ev = evidence(r);
            return (
              <tr key={`${r.name}-${i}`}>
                {/* Wide enough for a name: on a phone the table scrolls in its panel rather than breaking names into letters. */}
                <td className="wrap" style={{ minWidth: '11rem' }}>{name(r)}</td>
                <td className="num">{fmt(r.total)}</td>
                <td className="num"><strong>{fmt(r.wouldBeRefused)}</strong></td>
                <td className="num">{fmt(r.attacksStopped)}</td>
                <td className="num">{fmt(r.legitimateBroken)}</td>
                <td>{brokenWords(r) || '—'}</td>
                <td className="num opt">{fmt(r.alreadyRefused)}</td>
                {unknown ? <td className="num">{fmt(r.unknown)}</td> : null}
                {otherHops ? <td className="num">{fmt(r.sameAttackOtherHops)}</td> : null}
                <td>{ev ? <Link href={ev.href}>{ev.label}</Link> : <span className="muted">—</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
