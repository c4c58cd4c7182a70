/** What can go wrong with name templates: a bad template is a config error, the rest are row problems. */
import { ExitCode, RostersyncError } from '../errors.js';

/** A template in the config cannot be used; the message starts with the config key. */
export class TemplateError extends RostersyncError {
  constructor(
    readonly key: string,
    /** What is wrong, without the key: config validation puts the key in front itself. */
    readonly detail: string,
  ) {
    super(`${key}: ${detail}`, ExitCode.usage);
  }
}

/** A name could not be made for one record; the caller reports it against that row. */
export class NameError extends RostersyncError {}

/** The template gives nothing usable for this record, e.g. all its fields are empty or unpronounceable. */
export class EmptyNameError extends NameError {
  constructor(
    readonly key: string,
    readonly record: string | undefined,
  ) {
    const field = key.endsWith('email') ? 'email' : 'username';
    super(
      `${key}: the template gives an empty name for ${record ?? 'this record'}; give the row a value in a column mapped to '${field}'`,
    );
  }
}

/** The name is taken and the template has no counter to try another (or the counter no longer fits). */
export class NameCollisionError extends NameError {
  constructor(
    readonly key: string,
    readonly conflict: string,
    readonly record: string | undefined,
    reason = 'is already taken and the template has no counter',
  ) {
    super(`${key}: '${conflict}'${record === undefined ? '' : ` (for ${record})`} ${reason}`);
  }
}
