/**
 * userPassword values in the formats slapd verifies itself: `{SSHA}` (built in) and `{ARGON2}` (the
 * argon2 module), so a new user's password goes into the add and costs no extra write.
 */
import * as crypto from 'node:crypto';
import { promisify } from 'node:util';

export type PasswordHashScheme = 'ssha' | 'argon2';

const SSHA_SALT_BYTES = 8;

// What slapd's argon2 module uses by default; the PHC string carries them, so verification needs no config.
export const ARGON2_PARAMETERS = {
  memoryKiB: 65_536,
  passes: 2,
  parallelism: 1,
  saltBytes: 16,
  tagLength: 32,
};

export async function hashPassword(password: string, scheme: PasswordHashScheme): Promise<string> {
  switch (scheme) {
    case 'ssha':
      return sshaHash(password, crypto.randomBytes(SSHA_SALT_BYTES));
    case 'argon2':
      return argon2Hash(password, crypto.randomBytes(ARGON2_PARAMETERS.saltBytes));
  }
}

/** `{SSHA}` + base64(SHA-1(password + salt) + salt). */
export function sshaHash(password: string, salt: Buffer): string {
  const digest = crypto.createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

type Argon2 = (algorithm: 'argon2id', parameters: crypto.Argon2Parameters) => Promise<Buffer>;

/** node:crypto's argon2 appeared in Node 24.7; looked up at run time so older Node fails with a clear message. */
function argon2Function(): Argon2 {
  const argon2 = (crypto as Partial<typeof crypto>).argon2;
  if (argon2 === undefined) {
    throw new Error(
      `password.hash: argon2 needs Node.js 24.7 or newer (this is ${process.version}); use password.hash: ssha or upgrade Node.js`,
    );
  }
  return promisify(argon2);
}

/** `{ARGON2}$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`, base64 without padding as in the PHC format. */
export async function argon2Hash(password: string, salt: Buffer): Promise<string> {
  const { memoryKiB, passes, parallelism, tagLength } = ARGON2_PARAMETERS;
  const hash = await argon2Function()('argon2id', {
    message: password,
    nonce: salt,
    memory: memoryKiB,
    passes,
    parallelism,
    tagLength,
  });
  const b64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');
  return `{ARGON2}$argon2id$v=19$m=${memoryKiB},t=${passes},p=${parallelism}$${b64(salt)}$${b64(hash)}`;
}
