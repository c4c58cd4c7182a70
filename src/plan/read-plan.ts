/**
 * Reads a saved plan (`--plan-out`) back. Only the envelope is checked here — the version this program
 * writes, a job it knows, the fields every plan has; a plan of another version is refused rather than
 * guessed at, since applying a misread plan would write the wrong things.
 */
import { UsageError } from '../errors.js';
import { type JobName, PLAN_VERSION, type Plan } from './types.js';

const JOBS: readonly JobName[] = ['import', 'purge', 'keep'];

function fail(source: string, message: string): never {
  throw new UsageError(`${source}: ${message}`);
}

export function parsePlan(text: string, source: string): Plan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail(source, `not a plan: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail(source, 'not a plan (no JSON object)');
  const plan = value as Record<string, unknown>;
  if (plan.version !== PLAN_VERSION) {
    fail(
      source,
      `plan version ${JSON.stringify(plan.version)} is not one this rostersync reads (it reads version ${PLAN_VERSION}); plan again`,
    );
  }
  if (typeof plan.job !== 'string' || !JOBS.includes(plan.job as JobName)) {
    fail(source, `unknown job ${JSON.stringify(plan.job)} (expected one of: ${JOBS.join(', ')})`);
  }
  for (const field of ['sourceUid', 'now', 'timezone'] as const) {
    if (typeof plan[field] !== 'string') fail(source, `the plan has no ${field}`);
  }
  const basedOn = plan.basedOn as Record<string, unknown> | undefined;
  if (typeof basedOn?.configDigest !== 'string') fail(source, 'the plan does not say what it was based on');
  // What a held plan records of the directory (SPEC §11), when it does: entryCSN or null per DN, and names.
  const entries = basedOn.entries;
  if (entries !== undefined) {
    const valid =
      entries !== null &&
      typeof entries === 'object' &&
      !Array.isArray(entries) &&
      Object.values(entries).every((csn) => csn === null || typeof csn === 'string');
    if (!valid) fail(source, 'basedOn.entries must map each DN to its entryCSN or null');
  }
  const names = basedOn.names as Record<string, unknown> | undefined;
  if (names !== undefined) {
    const list = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string');
    if (!list(names.usernames) || !list(names.emails))
      fail(source, 'basedOn.names must list usernames and emails');
  }
  if (!Array.isArray(plan.actions) || !Array.isArray(plan.problems)) fail(source, 'the plan has no actions');
  return plan as unknown as Plan;
}
