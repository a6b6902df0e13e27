'use client';
// Evidence holds in Settings → Evidence kept: the holds in force and the latest released, for every
// role; for admins, Place a hold (with its reason) and Release with a confirmation. While any hold
// is in force retention drops nothing, and a hold that reaches back keeps the archived lines an
// ingest brings from then on, past retention (lib/services/evidence/holds.ts).
import { useState } from 'react';
import type { EvidenceHold } from '@/lib/services/evidence/hold-schemas.ts';
import { api } from '../../../_components/api.ts';
import { onFormSubmit, SubmitError, useSubmit } from '../../../_components/submit.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { minute, useAccessChange } from './use-access-change.ts';

export function EvidenceHolds({ holds, admin }: { holds: EvidenceHold[]; admin: boolean }) {
  const [pending, setPending] = useState<EvidenceHold | null>(null);
  const release = useAccessChange((h: EvidenceHold) => api('POST', `/api/v1/evidence/holds/${h.id}/release`), () => setPending(null));
  const place = useSubmit(async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const since = String(data.get('since') ?? '');
    await api('POST', '/api/v1/evidence/holds', { reason: String(data.get('reason') ?? ''), ...(since ? { since } : {}) });
    form.reset();
  });
  const inForce = holds.filter((h) => h.releasedAt === null);
  const reach = inForce.map((h) => h.since).filter((s): s is string => s !== null).sort()[0];
  return (
    <section aria-labelledby="evidence-holds-title" data-testid="evidence-holds">
      <h3 id="evidence-holds-title">Evidence holds</h3>
      {inForce.length ? (
        <p className="callout warn" role="status" data-testid="evidence-held">
          <strong>Retention is paused</strong>: {inForce.length === 1 ? 'a hold is' : `${inForce.length} holds are`} in force. No partition is dropped until
          every hold is released, and the stores keep growing meanwhile; what expires in the meantime goes at the first maintenance run after the last release.
          {reach ? <> Ingest keeps lines from <span className="mono nowrap">{reach.slice(0, 10)}</span> on, even past retention (archived logs of the matter).</> : null}
        </p>
      ) : (
        <p className="muted" data-testid="evidence-not-held">
          No hold is in force: each partition goes when its retention ends. Place a hold to keep every partition past its retention, for an investigation or a legal hold.
        </p>
      )}
      {holds.length ? (
        <table className="data" data-testid="evidence-holds-table">
          <thead>
            <tr><th>Reason</th><th>Reaches back to</th><th>Placed</th><th>Released</th>{admin ? <th /> : null}</tr>
          </thead>
          <tbody>
            {holds.map((h) => (
              <tr key={h.id} data-testid="evidence-hold" data-state={h.releasedAt ? 'released' : 'in-force'}>
                <td style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{h.reason}</td>
                <td>{h.since ? <span className="mono nowrap" title={h.since}>{h.since.slice(0, 10)}</span> : <span className="muted">retention</span>}</td>
                <td><span className="mono nowrap">{minute(h.createdAt)}</span><div className="muted">by {h.createdBy}</div></td>
                <td>{h.releasedAt ? <><span className="mono nowrap">{minute(h.releasedAt)}</span><div className="muted">by {h.releasedBy}</div></> : <span className="badge high">in force</span>}</td>
                {admin ? (
                  <td>
                    {h.releasedAt ? null : (
                      <button type="button" className="secondary" aria-label={`Release the hold: ${h.reason.slice(0, 60)}`} onClick={() => { release.reset(); setPending(h); }}>
                        Release
                      </button>
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {admin ? (
        <form aria-label="Place an evidence hold" className="filters" style={{ marginTop: '1rem', alignItems: 'flex-end' }} onSubmit={onFormSubmit(place.run)}>
          <label style={{ flex: '1 1 20rem' }}>
            Reason (the investigation or matter)
            <textarea name="reason" required maxLength={500} rows={2} style={{ width: '100%' }} placeholder="e.g. INC-2291: suspected token theft from the CI runners" />
          </label>
          <label>
            Reaches back to (optional)
            <input type="date" name="since" aria-describedby="hold-since-help" />
          </label>
          <p id="hold-since-help" className="muted" style={{ flex: '1 1 100%', margin: 0 }}>
            While the hold is in force, an ingest keeps lines from this date on even when they are older than retention: load the archived gateway logs of the matter.
          </p>
          <button type="submit" disabled={place.busy}>{place.busy ? 'Placing…' : 'Place hold'}</button>
          <SubmitError error={place.error} />
        </form>
      ) : null}
      {pending ? (
        <ConfirmDialog key={pending.id} title="Release evidence hold" confirmLabel="Release hold" danger busy={release.busy} error={release.error} onConfirm={() => release.submit(pending)} onClose={() => setPending(null)}>
          <p>
            Release the hold placed by {pending.createdBy} on {minute(pending.createdAt)} for “{pending.reason}”?
            {inForce.length > 1
              ? ' Other holds stay in force: nothing is dropped until they are released too.'
              : ' Retention resumes: every partition whose retention has ended is dropped at the next maintenance run, within about an hour, and cannot be brought back.'}
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
