// A zod string PostgreSQL can store: no NUL, no lone UTF-16 surrogate. apiRoute refuses such
// strings in every JSON body already (refuseUnstorableBody); schemas say it too, so a handler or
// service called directly (tests, the CLI) refuses them with the same message.
import { z } from 'zod';
import { unsafeTextMessage, unsafeTextReason } from '../domain/unsafe-text.ts';

export function storableString() {
  return z.string().superRefine((s, ctx) => {
    const reason = unsafeTextReason(s);
    if (reason) ctx.addIssue({ code: 'custom', message: unsafeTextMessage(reason) });
  });
}
