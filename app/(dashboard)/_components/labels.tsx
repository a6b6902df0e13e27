// Short plain-language labels shown beside verdict and rule codes. Sentences stay in
// lib/binding/words.ts (VERDICT_WORDS, shown as the label's tooltip) and lib/risk/words.ts
// (RULE_LABELS); the short verdict labels belong beside VERDICT_WORDS and move there when its
// owner takes them (one vocabulary).
import type { FindingRule, Verdict } from '@/lib/domain/types.ts';
import { VERDICT_WORDS } from '@/lib/binding/words.ts';
import { RULE_LABELS } from '@/lib/risk/words.ts';

export const VERDICT_LABELS: Record<Verdict, string> = {
  ok: 'Accepted as required',
  binding_mismatch: 'Wrong certificate for the token',
  proof_invalid: 'DPoP proof failed',
  no_proof_for_bound_token: 'Bound token sent without its proof',
  bearer_unbound: 'Plain bearer token',
  bound_not_enforced: 'Binding not enforced',
  binding_context_stripped: 'Certificate or proof stripped on the way',
  cert_untrusted: 'Untrusted certificate',
  cert_revoked: 'Revoked certificate',
  cert_expired: 'Expired certificate',
  token_expired: 'Expired token',
  spoofed_client_cert: 'Client-supplied certificate passed on',
  cert_revoked_unchecked: 'Revoked certificate accepted',
};

const isVerdict = (v: string): v is Verdict => v in VERDICT_LABELS;
const isRule = (r: string): r is FindingRule => r in RULE_LABELS;

export const verdictLabel = (v: string): string => (isVerdict(v) ? VERDICT_LABELS[v] : v);

/** A verdict in words with its code beside it (the code is what filters and exports use). */
export function VerdictLabel({ v }: { v: string | null }) {
  if (!v) return <span className="muted">—</span>;
  return (
    <span title={isVerdict(v) ? VERDICT_WORDS[v] : undefined}>
      {verdictLabel(v)} <code className="code-tag">{v}</code>
    </span>
  );
}

/** A finding rule in words with its code beside it. */
export function RuleLabel({ rule }: { rule: string }) {
  return (
    <span>
      {isRule(rule) ? RULE_LABELS[rule] : rule} <code className="code-tag">{rule}</code>
    </span>
  );
}
