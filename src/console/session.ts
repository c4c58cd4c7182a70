/**
 * Signed-in users, kept in memory: the cookie carries only a random session id (signed), so signing out
 * really ends the session and nothing about the user travels in the cookie. A restart signs everyone out.
 */
import { randomBytes } from 'node:crypto';
import type { ConsoleUser } from './auth.js';

/** How long a session lasts after sign-in, whatever the user does. */
export const SESSION_LIFETIME_MS = 8 * 3_600_000;

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

export interface Session {
  id: string;
  user: ConsoleUser;
  expiresAt: number;
  /** Shown once on the next page (post/redirect/get). */
  notice?: Notice;
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  /** `onEnd` is told of every session that ends, signed out or expired (its held import goes with it). */
  constructor(
    private readonly lifetimeMs: number = SESSION_LIFETIME_MS,
    private readonly onEnd: (id: string) => void = () => undefined,
  ) {}

  create(user: ConsoleUser, now = Date.now()): Session {
    this.#sweep(now);
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      expiresAt: now + this.lifetimeMs,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= now) {
      this.#end(id);
      return undefined;
    }
    return session;
  }

  destroy(id: string): void {
    this.#end(id);
  }

  #end(id: string): void {
    if (this.#sessions.delete(id)) this.onEnd(id);
  }

  #sweep(now: number): void {
    for (const [id, session] of this.#sessions) if (session.expiresAt <= now) this.#end(id);
  }
}
