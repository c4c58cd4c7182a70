/**
 * webhook-on-delete: tells another system that rostersync deleted a user.
 *
 * After each deletion it POSTs
 *
 *     { "event": "delete", "dn": "...", "username": "...", "recordUid": "...", "sourceUid": "...",
 *       "schools": ["..."], "at": "2024-07-31T02:00:00.000Z" }
 *
 * as JSON to the URL in the environment variable ROSTERSYNC_WEBHOOK_URL (nothing is sent, and a line
 * is logged, when it is unset). It waits at most 10 seconds. A failure (no answer, or a status other
 * than 2xx) is logged and listed in the run's summary for that user; the deletion itself stands.
 *
 * Configuration:
 *
 *     hooks:
 *       - /usr/lib/node_modules/rostersync/hooks/webhook-on-delete.js
 *
 * and, for the systemd unit, `Environment=ROSTERSYNC_WEBHOOK_URL=https://hooks.example.org/rostersync`
 * (or an EnvironmentFile= when the URL carries a token). Not called in a dry run (dryRun = false).
 */
/* global fetch, AbortSignal */

export const dryRun = false;

const TIMEOUT_MS = 10_000;

/** @param {import('rostersync').ManagedUser} user @param {import('rostersync').UserImportContext} ctx */
export async function postDelete(user, ctx) {
  const url = process.env.ROSTERSYNC_WEBHOOK_URL;
  if (!url) {
    ctx.logger.info(`ROSTERSYNC_WEBHOOK_URL is not set; no webhook sent for ${user.dn}`, { dn: user.dn });
    return;
  }
  const body = {
    event: 'delete',
    dn: user.dn,
    username: user.username,
    recordUid: user.recordUid,
    sourceUid: user.sourceUid,
    schools: user.schools,
    at: ctx.now.toISOString(),
  };
  const origin = new URL(url).origin; // the path may carry a token: keep it out of messages
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new Error(`webhook ${origin} not reached: ${error.cause?.message ?? error.message}`, {
      cause: error,
    });
  }
  // Read the body so the connection can be reused; only its first lines go into the message.
  const answer = (await response.text().catch(() => '')).slice(0, 200);
  if (!response.ok) {
    throw new Error(`webhook ${origin} answered ${response.status} ${response.statusText}: ${answer}`);
  }
  ctx.logger.debug(`webhook sent for ${user.dn}`, { dn: user.dn, status: response.status });
}
