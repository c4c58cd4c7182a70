/**
 * The console's pages: plain HTML forms (no script needed), a label on every input, the CSRF token in every
 * form. They render what `ConsoleService` returns, the same data the JSON API gives.
 */
import type { RetiringUser } from '../retirement/read.js';
import type { ConsoleUser } from './auth.js';
import { Html, html } from './html.js';
import type { HeldImportView } from './held-import.js';
import type { HistoryView, ImportView, JobView, ListedUser, Overview, RuleView } from './service.js';
import type { Notice } from './session.js';
import { type JobRecord, statusKey } from '../state/status.js';

export type PageName = 'overview' | 'import' | 'lifecycle' | 'retirement' | 'history';

const NAV: readonly (readonly [PageName, string, string])[] = [
  ['overview', '/', 'Overview'],
  ['import', '/import', 'New import'],
  ['lifecycle', '/lifecycle', 'Lifecycle'],
  ['retirement', '/retirement', 'Retirement'],
  ['history', '/history', 'History'],
];

export interface PageFrame {
  user: ConsoleUser;
  csrf: string;
  notice?: Notice | undefined;
}

function document(title: string, body: Html, refreshSeconds?: number): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        ${refreshSeconds === undefined ? '' : html`<meta http-equiv="refresh" content="${refreshSeconds}" />`}
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · rostersync</title>
        <link rel="stylesheet" href="/console.css" />
      </head>
      <body>
        ${body}
      </body>
    </html> `.text;
}

function schoolsOf(user: ConsoleUser): string {
  return user.schools === 'all' ? 'all schools' : `school ${user.schools.join(', ')}`;
}

function notice(shown: Notice | undefined): Html {
  return shown === undefined
    ? html``
    : html`<p class="notice ${shown.kind}" role="${shown.kind === 'error' ? 'alert' : 'status'}">
        ${shown.text}
      </p>`;
}

function page(
  name: PageName,
  title: string,
  frame: PageFrame,
  content: Html,
  refreshSeconds?: number,
): string {
  return document(
    title,
    html`<header>
        <span class="brand">rostersync</span>
        <nav aria-label="Main">
          ${NAV.map(
            ([key, href, label]) =>
              html`<a href="${href}" ${key === name ? new Html(' aria-current="page"') : ''}>${label}</a>`,
          )}
        </nav>
        <span class="who">${frame.user.username} · ${schoolsOf(frame.user)}</span>
        <form class="inline" method="post" action="/sign-out">
          <input type="hidden" name="_csrf" value="${frame.csrf}" />
          <button type="submit" class="secondary">Sign out</button>
        </form>
      </header>
      <main>
        <h1>${title}</h1>
        ${notice(frame.notice)} ${content}
      </main>`,
    refreshSeconds,
  );
}

export function signInPage(csrf: string, message?: string): string {
  return document(
    'Sign in',
    html`<main>
      <form class="signin" method="post" action="/sign-in">
        <h1>rostersync</h1>
        ${message === undefined ? '' : html`<p class="notice error" role="alert">${message}</p>`}
        <input type="hidden" name="_csrf" value="${csrf}" />
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required autofocus />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
    </main>`,
  );
}

export function errorPage(status: number, message: string): string {
  return document(
    'Error',
    html`<main>
      <h1>${status === 403 ? 'Refused' : 'Something went wrong'}</h1>
      <p class="notice error" role="alert">${message}</p>
      <p><a href="/">Back to the overview</a></p>
    </main>`,
  );
}

/** A run's counts per action, the ones that are not 0. */
const countsText = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .filter(([, count]) => count !== 0)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ') || '–';

function jobsTable(jobs: readonly JobView[]): Html {
  if (jobs.length === 0) return html`<p class="muted">No runs recorded yet.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Job</th>
        <th scope="col">Last run</th>
        <th scope="col">Duration</th>
        <th scope="col">Result</th>
        <th scope="col">Exit</th>
        <th scope="col">Counts</th>
        <th scope="col">Now</th>
      </tr>
    </thead>
    <tbody>
      ${jobs.map(
        (job) =>
          html`<tr>
            <td>${statusKey(job)}</td>
            <td>${job.finishedAt ?? '–'}</td>
            <td class="num">
              ${job.durationMs === undefined ? '–' : `${(job.durationMs / 1000).toFixed(1)} s`}
            </td>
            <td>
              ${job.result ?? '–'}${job.message !== undefined && job.result !== 'ok' ? html`<br /><span class="muted">${job.message}</span>` : ''}
            </td>
            <td class="num">${job.exitCode ?? '–'}</td>
            <td>${job.counts === undefined ? '–' : countsText(job.counts)}</td>
            <td>
              ${
                job.running === undefined
                  ? ''
                  : job.running.alive
                    ? `running since ${job.running.startedAt}`
                    : `run ${job.running.runId} died without a result`
              }${job.refused ? html`<br /><span class="muted">refused ${job.refused.count}× (lock busy)</span>` : ''}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function overviewPage(frame: PageFrame, overview: Overview): string {
  const schedules = Object.entries(overview.schedules);
  return page(
    'overview',
    'Overview',
    frame,
    html`<h2>Pending</h2>
      <dl class="pending">
        <dt>Warned users (pending warnings)</dt>
        <dd data-pending="warnings">${overview.pending.warnings}</dd>
        <dt>Pending deletions (marked for deletion, or ready for a lifecycle rule's action)</dt>
        <dd data-pending="deletions">${overview.pending.deletions}</dd>
      </dl>
      <h2>Last run of each job</h2>
      ${jobsTable(overview.jobs)}
      <h2>Schedules of the daemon</h2>
      ${
        schedules.length === 0
          ? html`<p class="muted">Nothing is scheduled (daemon.schedules).</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Cron</th>
                  <th scope="col">Next run</th>
                </tr>
              </thead>
              <tbody>
                ${schedules.map(
                  ([job, cron]) =>
                    html`<tr>
                      <td>${job}</td>
                      <td><code>${cron}</code></td>
                      <td>${overview.nextRuns[job] ?? '–'}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}

const STATE_TEXT: Record<HeldImportView['state'], string> = {
  planned: 'planned, not applied',
  applying: 'being applied',
  applied: 'applied',
  stale: 'refused: stale',
  failed: 'apply failed',
};

function uploadForm(frame: PageFrame, view: ImportView, maxUploadBytes: number): Html {
  const choices =
    view.schools === 'any'
      ? html`<label for="schools">Schools (comma-separated; empty: all schools)</label>
          <input id="schools" name="schools" placeholder="all schools" />`
      : html`<fieldset>
          <legend>Schools</legend>
          ${view.schools.map(
            (school) =>
              html`<label
                ><input type="checkbox" name="schools" value="${school}" checked /> ${school}</label
              >`,
          )}
        </fieldset>`;
  // Multipart bodies are read after the CSRF check runs, so the token travels in the form's address.
  return html`<form
    class="upload"
    method="post"
    action="/import/upload?_csrf=${encodeURIComponent(frame.csrf)}"
    enctype="multipart/form-data"
  >
    <label for="roster">Roster (CSV, at most ${formatBytes(maxUploadBytes)})</label>
    <input id="roster" name="roster" type="file" accept=".csv,text/csv" required />
    ${choices}
    <button type="submit">Upload and plan</button>
  </form>`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024)
    return `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB`;
  return `${bytes} bytes`;
}

function countsTable(view: HeldImportView): Html {
  const kinds = Object.keys(view.counts.byKind).sort();
  if (kinds.length === 0) return html`<p class="muted">Nothing to do: the directory matches the roster.</p>`;
  const schools = Object.keys(view.counts.bySchool).sort();
  return html`<table class="counts">
    <thead>
      <tr>
        <th scope="col">School</th>
        ${kinds.map((kind) => html`<th scope="col" class="num">${kind}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${schools.map(
        (school) =>
          html`<tr>
            <td>${school}</td>
            ${kinds.map((kind) => html`<td class="num">${view.counts.bySchool[school]?.[kind] ?? 0}</td>`)}
          </tr>`,
      )}
      <tr>
        <th scope="row">All</th>
        ${kinds.map((kind) => html`<td class="num">${view.counts.byKind[kind] ?? 0}</td>`)}
      </tr>
    </tbody>
  </table>`;
}

function heldSection(frame: PageFrame, view: HeldImportView, table: string): Html {
  const { safety } = view;
  const button = (action: string, label: string, secondary = false) =>
    html`<form class="inline" method="post" action="${action}">
      <input type="hidden" name="_csrf" value="${frame.csrf}" />
      <button type="submit" ${secondary ? new Html(' class="secondary"') : ''}>${label}</button>
    </form>`;
  return html`<section aria-label="Held plan">
    <h2>Plan of ${view.rosterName}</h2>
    <p>
      Schools: ${view.schools.length === 0 ? 'all' : view.schools.join(', ')} · State:
      <strong data-state="${view.state}">${STATE_TEXT[view.state]}</strong>
      ${
        view.state === 'applying' || view.state === 'applied' || view.state === 'failed'
          ? html` ·
              <span
                role="progressbar"
                aria-valuenow="${view.progress.done}"
                aria-valuemax="${view.progress.total}"
                >${view.state === 'applying' ? 'running: ' : ''}${view.progress.done} of
                ${view.progress.total} actions</span
              >`
          : ''
      }
    </p>
    ${
      view.result === undefined
        ? ''
        : html`<p
            class="notice ${view.state === 'applied' ? 'ok' : 'error'}"
            role="${view.state === 'applied' ? 'status' : 'alert'}"
          >
            ${view.result.message}
          </p>`
    }
    <p class="safety ${safety.exceeded ? 'error' : 'ok'}">
      Safety check: ${safety.removals} removal${safety.removals === 1 ? '' : 's'} of ${safety.inScope} users
      in scope, limit ${safety.limit} (${safety.setting}) —
      <strong>${safety.exceeded ? 'exceeded: apply will stop before writing' : 'within the limit'}</strong>
    </p>
    <p>
      ${view.unchanged} unchanged · ${view.problems} problem${view.problems === 1 ? '' : 's'} in the roster
    </p>
    ${countsTable(view)}
    <p>
      Download the plan: <a href="/import/plan.json" download>JSON</a> ·
      <a href="/import/plan.ldif" download>LDIF</a>
    </p>
    <div class="actions">
      ${view.state === 'planned' ? button('/import/apply', 'Apply') : ''}
      ${
        view.state === 'stale' || view.state === 'applied' || view.state === 'failed'
          ? button('/import/plan-again', 'Plan again')
          : ''
      }
      ${view.state === 'applying' ? '' : button('/import/discard', 'Discard', true)}
    </div>
    <details ${view.state === 'planned' ? new Html(' open') : ''}>
      <summary>The plan as <code>rostersync import --dry-run</code> shows it</summary>
      <pre class="plan">${table}</pre>
    </details>
  </section>`;
}

export function importPage(frame: PageFrame, view: ImportView, maxUploadBytes: number): string {
  const held = view.held;
  return page(
    'import',
    'New import',
    frame,
    html`${held === undefined || view.table === undefined ? '' : heldSection(frame, held, view.table)}
    ${
      held?.state === 'applying'
        ? ''
        : html`<h2>${held === undefined ? 'Upload a roster' : 'Upload another roster'}</h2>
            ${uploadForm(frame, view, maxUploadBytes)}`
    }`,
    // While the plan is applied, the page follows its progress without a script.
    held?.state === 'applying' ? 2 : undefined,
  );
}

const LIST_TITLES: Record<keyof RuleView['lists'], [string, string]> = {
  candidates: ['Candidates', 'Warning (or action) on'],
  warn: ['To be warned at the next run', 'Warning on'],
  warned: ['Warned', 'Action on'],
  ready: ['Ready: acted on at the next run', 'Action on'],
};

function listTable(rule: RuleView, list: keyof RuleView['lists'], users: readonly ListedUser[]): Html {
  const [title, dayTitle] = LIST_TITLES[list];
  const caption = html`<h3>${title} <span class="muted">(${users.length})</span></h3>`;
  if (users.length === 0) return caption;
  return html`${caption}
    <table>
      <thead>
        <tr>
          <th scope="col">Keep</th>
          <th scope="col">User</th>
          <th scope="col">Record uid</th>
          <th scope="col">${dayTitle}</th>
          <th scope="col">Note</th>
        </tr>
      </thead>
      <tbody>
        ${users.map((user, index) => {
          const id = `keep-${rule.rule}-${list}-${index}`;
          return html`<tr>
            <td>
              <input type="checkbox" id="${id}" name="users" value="${user.username}" /><label
                for="${id}"
                class="muted"
              >
                keep</label
              >
            </td>
            <td>${user.username}</td>
            <td>${user.recordUid}</td>
            <td>${user.nextStep ?? '–'}</td>
            <td>${user.note ?? ''}</td>
          </tr>`;
        })}
      </tbody>
    </table>`;
}

export function lifecyclePage(frame: PageFrame, rules: readonly RuleView[]): string {
  const content =
    rules.length === 0
      ? html`<p class="muted">No lifecycle rules are configured (lifecycle.rules).</p>`
      : html`<form method="post" action="/lifecycle/keep">
          <input type="hidden" name="_csrf" value="${frame.csrf}" />
          <p class="muted">
            From a dry run of the rules now. <strong>Keep</strong> lifts a user's warning and restarts its
            clock.
          </p>
          ${rules.map(
            (rule) =>
              html`<section>
                <h2>
                  ${rule.rule}
                  <span class="muted"
                    >— ${rule.trigger}, ${rule.days} days,
                    ${rule.action}${rule.warningDays > 0 ? `, warned ${rule.warningDays} days before` : ''}</span
                  >
                </h2>
                ${(Object.keys(LIST_TITLES) as (keyof RuleView['lists'])[]).map((list) => listTable(rule, list, rule.lists[list]))}
              </section>`,
          )}
          <p><button type="submit">Keep selected users</button></p>
        </form>`;
  return page('lifecycle', 'Lifecycle', frame, content);
}

function stateForm(action: string, label: string, user: RetiringUser, csrf: string): Html {
  return html`<form class="inline" method="post" action="${action}">
    <input type="hidden" name="_csrf" value="${csrf}" />
    <input type="hidden" name="recordUid" value="${user.recordUid}" />
    <button type="submit" class="secondary" aria-label="${label} ${user.username}">${label}</button>
  </form>`;
}

export function retirementPage(frame: PageFrame, users: readonly RetiringUser[]): string {
  const content =
    users.length === 0
      ? html`<p class="muted">No user is in retirement (or all are COMPLETE).</p>`
      : html`<table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">State</th>
                <th scope="col">Updated</th>
                <th scope="col">Error</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              ${users.map(
                (user) =>
                  html`<tr>
                    <td>${user.username}<br /><span class="muted">${user.recordUid}</span></td>
                    <td>${user.state}</td>
                    <td>${user.updated ?? '–'}</td>
                    <td>${user.error ?? ''}</td>
                    <td>
                      ${user.state === 'ERRORED' || user.state === 'ABORTED' ? stateForm('/retirement/retry', 'Retry', user, frame.csrf) : ''}
                      ${user.state === 'ABORTED' ? '' : stateForm('/retirement/abort', 'Abort', user, frame.csrf)}
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>
          <p class="muted">
            Retry puts the user back at the step it failed in; the next purge runs the steps from there.
          </p>`;
  return page('retirement', 'Retirement', frame, content);
}

/** An audit line's attributes, one per line: `name: values`, or `name removed`. */
function changesOf(attributes: unknown): Html {
  if (typeof attributes !== 'object' || attributes === null) return html``;
  return html`${Object.entries(attributes as Record<string, unknown>).map(([name, values]) =>
    Array.isArray(values) && values.length > 0
      ? html`<div>
          <code>${name}</code>: ${values.filter((value) => typeof value === 'string').join(', ')}
        </div>`
      : html`<div><code>${name}</code> removed</div>`,
  )}`;
}

const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Finished runs with their summaries; each links to its audit lines. */
function runsTable(runs: readonly JobRecord[], shown: string | undefined): Html {
  if (runs.length === 0) return html`<p class="muted">No runs recorded yet.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Started</th>
        <th scope="col">Job</th>
        <th scope="col">Duration</th>
        <th scope="col">Result</th>
        <th scope="col">Exit</th>
        <th scope="col">Counts</th>
        <th scope="col">Audit</th>
      </tr>
    </thead>
    <tbody>
      ${runs.map(
        (run) =>
          html`<tr>
            <td>${run.startedAt}</td>
            <td>${statusKey(run)}</td>
            <td class="num">${(run.durationMs / 1000).toFixed(1)} s</td>
            <td>
              ${run.result}${run.message !== undefined && run.result !== 'ok' ? html`<br /><span class="muted">${run.message}</span>` : ''}
            </td>
            <td class="num">${run.exitCode}</td>
            <td>${countsText(run.counts)}</td>
            <td>
              ${
                run.runId === undefined
                  ? '–'
                  : run.runId === shown
                    ? html`<strong>shown below</strong>`
                    : html`<a href="/history?run=${run.runId}">audit lines</a>`
              }
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function historyPage(frame: PageFrame, history: HistoryView): string {
  return page(
    'history',
    'History',
    frame,
    html`<h2>Runs <span class="muted">(newest first)</span></h2>
      ${runsTable(history.runs, history.run)}
      <h2>
        ${
          history.run === undefined
            ? html`Audit log <span class="muted">(newest first)</span>`
            : html`Audit lines of run <code>${history.run}</code>
                <span class="muted">(<a href="/history">all runs</a>)</span>`
        }
      </h2>
      ${
        history.audit.length === 0
          ? html`<p class="muted">Nothing recorded yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Action</th>
                  <th scope="col">Entry</th>
                  <th scope="col">By</th>
                  <th scope="col">Changes</th>
                </tr>
              </thead>
              <tbody>
                ${history.audit.map(
                  (line) =>
                    html`<tr>
                      <td>${textOf(line.time)}</td>
                      <td>
                        ${textOf(line.action)}${line.result === 'error' ? html` <strong>(error)</strong>` : ''}
                      </td>
                      <td>${textOf(line.dn)}</td>
                      <td>
                        ${typeof line.actor === 'string' ? line.actor : html`<span class="muted">service</span>`}
                      </td>
                      <td>${changesOf(line.attributes)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}
