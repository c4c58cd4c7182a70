/**
 * What `state_dir` keeps of held plans (SPEC §11): a record of each plan applied, so that it applies once,
 * and while one is being applied its journal — every action as it is sent and once it is done — so that a
 * run killed half way is completed by running the same apply again.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { canonicalJson } from '../plan/basis.js';
import type { Plan, PlanAction } from '../plan/types.js';
import { writeFileAtomic } from '../state/atomic.js';

/** A plan's identity: the digest of its content, however the file is laid out. */
export function planId(plan: Plan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}

/** The record of an applied plan. */
export interface AppliedRecord {
  planId: string;
  job: Plan['job'];
  runId: string;
  appliedAt: string;
  exitCode: number;
  /** Actions sent over all the runs that applied it. */
  applied: number;
  failed: number;
}

function ledgerDir(config: Config): string {
  return join(config.state_dir, 'applied-plans');
}

export async function readAppliedRecord(config: Config, id: string): Promise<AppliedRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(ledgerDir(config), `${id}.json`), 'utf8')) as AppliedRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeAppliedRecord(config: Config, record: AppliedRecord): Promise<void> {
  await mkdir(ledgerDir(config), { recursive: true, mode: 0o700 });
  await writeFileAtomic(
    join(ledgerDir(config), `${record.planId}.json`),
    `${JSON.stringify(record, null, 2)}\n`,
    0o600,
  );
}

/**
 * The journal of one plan's apply: `b N` before action N (its index in the plan) is sent, `d N` once it is
 * done. Lines are written synchronously, so what a killed process sent is always in the journal; an action
 * begun and never done is in doubt, and the next run looks at the directory to tell.
 */
export class ApplyJournal {
  private constructor(
    private readonly path: string,
    private fd: number | undefined,
    private readonly index: ReadonlyMap<PlanAction, number>,
    /** From earlier runs of the same plan. */
    readonly begun: ReadonlySet<number>,
    readonly finished: ReadonlySet<number>,
  ) {}

  static async open(config: Config, id: string, plan: Plan): Promise<ApplyJournal> {
    await mkdir(ledgerDir(config), { recursive: true, mode: 0o700 });
    const path = join(ledgerDir(config), `${id}.journal`);
    const begun = new Set<number>();
    const done = new Set<number>();
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    for (const line of text.split('\n')) {
      const match = /^([bd]) (\d+)$/.exec(line);
      if (!match) continue; // a line cut short by a crash
      (match[1] === 'b' ? begun : done).add(Number(match[2]));
    }
    const index = new Map(plan.actions.map((action, position) => [action, position]));
    return new ApplyJournal(path, openSync(path, 'a', 0o600), index, begun, done);
  }

  /** Earlier runs' actions begun and never done: sent or not, the directory tells. */
  get inDoubt(): number[] {
    return [...this.begun].filter((position) => !this.finished.has(position));
  }

  begin(action: PlanAction): void {
    this.write('b', action);
  }

  done(action: PlanAction): void {
    this.write('d', action);
  }

  /** Marks earlier actions as done (in doubt, and found done in the directory). */
  markDone(positions: readonly number[]): void {
    for (const position of positions) this.writeLine(`d ${position}\n`);
  }

  private write(kind: 'b' | 'd', action: PlanAction): void {
    const position = this.index.get(action);
    if (position !== undefined) this.writeLine(`${kind} ${position}\n`);
  }

  /** Whether this run wrote to the journal. */
  wrote = false;

  private writeLine(line: string): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, line);
    this.wrote = true;
  }

  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Once the plan is recorded as applied, its journal has served. */
  async remove(): Promise<void> {
    this.close();
    await rm(this.path, { force: true });
  }
}
