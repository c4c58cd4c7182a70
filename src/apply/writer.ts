/**
 * Every directory write of an import goes through here: one place that sends it and records it in the
 * audit log, success or failure.
 */
import type { Directory, Modification } from '../directory/index.js';
import type { AuditSink } from '../logging/index.js';

function changedAttributes(changes: readonly Modification[]): Record<string, string[] | null> {
  const attributes: Record<string, string[] | null> = {};
  for (const change of changes) {
    attributes[change.attribute] =
      change.operation === 'delete' && change.values.length === 0 ? null : [...change.values];
  }
  return attributes;
}

/**
 * Asked before every write: throws when the run may no longer write — its run lock was lost (a lease
 * removed or taken over). A local check, no round trip.
 */
export type WriteGuard = () => void;

export class AuditedWriter {
  constructor(
    private readonly directory: Directory,
    private readonly audit: AuditSink,
    private readonly guard: WriteGuard = () => undefined,
  ) {}

  /** Throws when the run may no longer write: for what is not a directory write but must not happen then (a mail). */
  check(): void {
    this.guard();
  }

  private async record<T>(
    entry: { action: string; dn: string; attributes?: Record<string, string[] | null> },
    write: () => Promise<T>,
  ): Promise<T> {
    this.guard();
    try {
      const result = await write();
      this.audit.record({ ...entry, result: 'ok' });
      return result;
    } catch (error) {
      this.audit.record({
        ...entry,
        result: 'error',
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }

  add(dn: string, attributes: Record<string, string[]>): Promise<void> {
    return this.record({ action: 'add', dn, attributes }, () => this.directory.add(dn, attributes));
  }

  modify(dn: string, changes: Modification[]): Promise<void> {
    return this.record({ action: 'modify', dn, attributes: changedAttributes(changes) }, () =>
      this.directory.modify(dn, changes),
    );
  }

  delete(dn: string): Promise<void> {
    return this.record({ action: 'delete', dn }, () => this.directory.delete(dn));
  }

  rename(dn: string, newRdn: string, newParentDn: string): Promise<string> {
    return this.record({ action: 'modrdn', dn, attributes: { newDn: [`${newRdn},${newParentDn}`] } }, () =>
      this.directory.rename(dn, newRdn, newParentDn),
    );
  }

  passwordModify(dn: string, password: string): Promise<void> {
    return this.record({ action: 'passwordModify', dn, attributes: { userPassword: [password] } }, () =>
      this.directory.passwordModify(dn, password),
    );
  }
}
