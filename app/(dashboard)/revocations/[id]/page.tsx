import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { isHoldfastError } from '@/lib/errors.ts';
import { revocationReceipts, type EnforcementPointReceipt, type LegReceipt, type RevocationReceipts } from '@/lib/revocation/receipts.ts';
import { getRevocation, type RevocationView } from '@/lib/revocation/revocation-queries.ts';
import { requirePage } from '../../../_lib/session.ts';
import { fmt, when } from '../../_components/estate.tsx';

export const metadata: Metadata = { title: 'Revocation' };

const STATUS_WORDS: Record<EnforcementPointReceipt['status'], string> = {
  still_accepting: 'still accepting',
  effective: 'effective',
  not_seen_since: 'not seen since',
  awaiting_confirmation: 'awaiting the issuer',
};
// Badge colours the stylesheet already has: critical red, satisfied green, not assessed dashed grey.
const STATUS_BADGE: Record<EnforcementPointReceipt['status'], string> = { still_accepting: 'critical', effective: 'satisfied', not_seen_since: 'not_assessed', awaiting_confirmation: 'not_assessed' };

/** Seconds in the largest whole unit that fits: "3 d 4 h", "12 min". */
function duration(s: number | null): string {
  if (s === null) return '—';
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

function credentialLink(leg: LegReceipt, label: string) {
  if (leg.tokenId) return <Link href={`/tokens/${leg.tokenId}`}>{label}</Link>;
  if (leg.certificateId) return <Link href={`/certificates/${leg.certificateId}`}>{label}</Link>;
  return label;
}

function ReceiptTable({ leg, label }: { leg: LegReceipt; label: string }) {
  return (
    <section className="panel" data-testid="receipt" data-leg={leg.legId} data-kind={leg.kind}>
      <h2>
        Receipt: {leg.kind} {credentialLink(leg, label)}
      </h2>
      <p className="muted">
        {leg.confirmedAt
          ? `Revocation requested ${when(leg.requestedAt)}, confirmed by the issuer ${when(leg.confirmedAt)}: requests after the confirmation count. `
          : `Revocation requested ${when(leg.requestedAt)}, not confirmed by the issuer yet: the credential still works, so no gateway is judged until it is. `}
        {leg.points.length === 0
          ? 'No gateway has ever accepted this credential in the evidence Holdfast holds.'
          : leg.confirmedAt
            ? `${leg.summary.stillAccepting} still accepting, ${leg.summary.effective} effective, ${leg.summary.notSeenSince} not seen since.`
            : `${leg.summary.awaitingConfirmation} gateway(s) that accepted it before.`}
      </p>
      {leg.points.length ? (
        <table className="data wrap-heads">
          <thead>
            <tr>
              <th>Enforcement point</th><th>Status</th><th>Last accepted before</th><th className="num">Accepted after</th><th className="num">Refused after</th>
              <th>Last request after</th><th>Not seen for</th><th>Finding</th>
            </tr>
          </thead>
          <tbody>
            {leg.points.map((p) => (
              <tr key={`${p.source}|${p.gateway}`} data-testid="receipt-point" data-status={p.status} data-gateway={p.gateway ?? ''}>
                <td>{p.source ?? <span className="muted">(no source)</span>}{p.gateway && p.gateway !== p.source ? <span className="muted"> / {p.gateway}</span> : null}</td>
                <td><span className={`badge ${STATUS_BADGE[p.status]}`}>{STATUS_WORDS[p.status]}</span></td>
                <td>{when(p.lastAcceptedBefore)}</td>
                <td className="num">{fmt(p.requestsAfter.accepted)}</td>
                <td className="num">{fmt(p.requestsAfter.refused)}</td>
                <td>{when(p.requestsAfter.lastAt)}</td>
                <td>{p.status === 'not_seen_since' ? duration(p.notSeenForSeconds) : '—'}</td>
                <td>
                  {p.finding ? (
                    <Link href={`/findings?rule=${p.finding.rule}${leg.tokenId ? `&token=${leg.tokenId}` : ''}`}>
                      {p.finding.severity} · {p.finding.status}
                    </Link>
                  ) : p.severity ? (
                    <span className="badge critical" title="Findings have not been evaluated since these requests">critical</span>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export default async function RevocationPage({ params }: { params: Promise<{ id: string }> }) {
  const { db } = await requirePage('read');
  const { id } = await params;
  let r: RevocationView;
  let receipts: RevocationReceipts;
  try {
    r = await getRevocation(db, id);
    receipts = await revocationReceipts(db, id);
  } catch (e) {
    if (isHoldfastError(e) && e.code === 'not_found') notFound();
    throw e;
  }
  const labelOf = new Map(r.legs.map((l) => [l.id, l.label]));
  return (
    <>
      <p className="muted"><Link href="/revocations">Revocations</Link> / {r.id.slice(0, 8)}</p>
      <h1>
        Revocation <span className="badge" data-testid="revocation-state">{r.state}</span>
      </h1>
      <p>
        <strong>{r.reason}</strong> <span className="muted">— {when(r.createdAt)} by {r.requestedBy}{r.completedAt ? `, finished ${when(r.completedAt)}` : ''}</span>
      </p>
      <p className="muted">
        For each credential, every gateway that ever accepted it and what it did after the revocation: <em>still accepting</em> (it let the credential through again — a
        critical finding), <em>effective</em> (it refused it), or <em>not seen since</em>. Accepted means any answer but a refusal (401, 403, 495–497, or 400 for a client certificate the gateway
        failed), as logged by the gateway. Computed {when(receipts.computedAt)} from the evidence store.
      </p>
      {receipts.legs.map((leg) => (
        <ReceiptTable key={leg.legId} leg={leg} label={labelOf.get(leg.legId) ?? leg.kind} />
      ))}
    </>
  );
}
