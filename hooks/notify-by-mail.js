/**
 * notify-by-mail: tells someone (a school office, the help desk) by mail that rostersync deleted a user.
 *
 * After each deletion it sends, to the addresses in the environment variable ROSTERSYNC_HOOK_NOTIFY_TO
 * (one, or several separated by commas), a plain-text mail naming the user, its record uid, its schools
 * and its DN. It goes through rostersync's own mailer: the SMTP server and sender of `mail.*`
 * (`mail.smtp.host`, `mail.from`, …), `Auto-Submitted: auto-generated`, and a line in the audit log
 * (recipient, user, rule `notice`; never the text). When ROSTERSYNC_HOOK_NOTIFY_TO is unset nothing is
 * sent and a line is logged. A mail the server does not accept is logged and listed in the run's summary
 * for that user; the deletion itself stands.
 *
 * Configuration:
 *
 *     hooks:
 *       - /usr/lib/node_modules/rostersync/hooks/notify-by-mail.js
 *     mail:
 *       from: rostersync@school.example
 *       smtp: { host: mail.school.example, port: 587, starttls: true }
 *
 * and, for the systemd unit, `Environment=ROSTERSYNC_HOOK_NOTIFY_TO=office@school.example`. To hear of
 * deactivations too, add `export const postDeactivate = postDelete;`. Not called in a dry run
 * (dryRun = false).
 */

export const dryRun = false;

/** @param {import('rostersync').ManagedUser} user @param {import('rostersync').UserImportContext} ctx */
export async function postDelete(user, ctx) {
  const to = process.env.ROSTERSYNC_HOOK_NOTIFY_TO;
  if (!to) {
    ctx.logger.info(`ROSTERSYNC_HOOK_NOTIFY_TO is not set; no notice sent for ${user.dn}`, { dn: user.dn });
    return;
  }
  if (!ctx.mail) throw new Error('notify-by-mail needs the mail settings: mail.from and mail.smtp.host');
  await ctx.mail.send({
    to,
    subject: `rostersync: account ${user.username} deleted`,
    text: [
      `rostersync deleted the account ${user.username} on ${ctx.now.toISOString().slice(0, 10)}.`,
      '',
      `Username:   ${user.username}`,
      `Record uid: ${user.recordUid} (source ${user.sourceUid})`,
      `Schools:    ${user.schools.join(', ') || '-'}`,
      `Roles:      ${user.roles.join(', ') || '-'}`,
      `Entry:      ${user.dn}`,
      '',
    ].join('\n'),
  });
}
