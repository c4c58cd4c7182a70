import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, isSecretKey, registerSecret } from '../../src/logging/index.js';
import { captureLogger, clearRegisteredSecrets, silentLogger } from '../support/logging.js';

afterEach(() => {
  clearRegisteredSecrets();
});

function parseLines(lines: string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logger formats', () => {
  it('writes JSON lines with time, level, message and fields when the stream is not a TTY', async () => {
    const { logger, lines } = captureLogger({ format: 'auto', isTTY: false });
    logger.info('import: 3 created', { school: 'gym1', created: 3 });
    logger.warn('second line');
    const records = parseLines(await lines());
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      level: 'info',
      message: 'import: 3 created',
      school: 'gym1',
      created: 3,
    });
    expect(new Date(String(records[0]?.time)).toString()).not.toBe('Invalid Date');
    expect(Object.keys(records[0] ?? {}).slice(0, 3)).toEqual(['time', 'level', 'message']);
    expect(records[1]).toMatchObject({ level: 'warn', message: 'second line' });
  });

  it('writes short text lines when the stream is a TTY', async () => {
    const { logger, lines } = captureLogger({ format: 'auto', isTTY: true });
    logger.info('import: 3 created, 1 deactivated', { school: 'gym1', dn: 'uid=a,ou=people' });
    const [line] = await lines();
    expect(line).toMatch(
      /^\d\d:\d\d:\d\d info {2}import: 3 created, 1 deactivated {2}school=gym1 dn="uid=a,ou=people"$/,
    );
  });

  it('honours an explicit format over TTY detection', async () => {
    const text = captureLogger({ format: 'text', isTTY: false });
    text.logger.info('hello');
    expect((await text.lines())[0]).toMatch(/^\d\d:\d\d:\d\d info {2}hello$/);

    const json = captureLogger({ format: 'json', isTTY: true });
    json.logger.info('hello');
    expect(parseLines(await json.lines())[0]).toMatchObject({ message: 'hello' });
  });

  it('detects a TTY from the stream itself', async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true });
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const logger = createLogger({ level: 'info', format: 'auto', stream });
    logger.info('on a terminal');
    await logger.flush();
    expect(chunks.join('')).toMatch(/^\d\d:\d\d:\d\d info {2}on a terminal\n$/);
  });

  it('keeps core keys when a field has the same name', async () => {
    const { logger, lines } = captureLogger();
    logger.info('real message', { message: 'field', level: 'x' });
    expect(parseLines(await lines())[0]).toMatchObject({
      level: 'info',
      message: 'real message',
      field_message: 'field',
      field_level: 'x',
    });
  });
});

describe('level filtering', () => {
  it('drops lines below the configured level', async () => {
    const { logger, lines } = captureLogger({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(parseLines(await lines()).map((record) => record.level)).toEqual(['warn', 'error']);
  });

  it('passes everything at debug', async () => {
    const { logger, lines } = captureLogger({ level: 'debug' });
    logger.debug('d');
    logger.info('i');
    expect(parseLines(await lines()).map((record) => record.message)).toEqual(['d', 'i']);
  });
});

describe('child loggers', () => {
  it('adds bound fields, and a call’s own fields win', async () => {
    const { logger, lines } = captureLogger();
    const child = logger.child({ runId: 'r1', school: 'gym1' }).child({ step: 'plan' });
    child.info('planned', { school: 'gym2' });
    logger.info('root');
    const [fromChild, fromRoot] = parseLines(await lines());
    expect(fromChild).toMatchObject({ runId: 'r1', school: 'gym2', step: 'plan' });
    expect(fromRoot).not.toHaveProperty('runId');
  });

  it('silentLogger accepts everything and writes nothing', async () => {
    silentLogger.child({ a: 1 }).error('nothing', { b: 2 });
    await expect(silentLogger.flush()).resolves.toBeUndefined();
  });
});

describe('secret safety', () => {
  it('redacts fields whose keys look like secrets, nested too', async () => {
    const { logger, lines } = captureLogger();
    logger.info('binding', {
      bindPassword: 's3cret',
      ldap: { bind_dn: 'cn=admin', bind_password_file: '/etc/rostersync/bind.pw', Token: 'tok-123' },
      users: [{ uid: 'a', userPassword: '{SSHA}hash' }],
      SALT: 'pepper',
    });
    const [line = ''] = await lines();
    for (const secret of ['s3cret', 'tok-123', '{SSHA}hash', 'pepper']) expect(line).not.toContain(secret);
    expect(JSON.parse(line)).toMatchObject({
      bindPassword: '[redacted]',
      ldap: { bind_dn: 'cn=admin', bind_password_file: '/etc/rostersync/bind.pw', Token: '[redacted]' },
      users: [{ uid: 'a', userPassword: '[redacted]' }],
      SALT: '[redacted]',
    });
  });

  it('redacts in text format as well', async () => {
    const { logger, lines } = captureLogger({ format: 'text' });
    logger.info('binding', { bindPassword: 's3cret' });
    const [line = ''] = await lines();
    expect(line).not.toContain('s3cret');
    expect(line).toContain('bindPassword=[redacted]');
  });

  it('scrubs registered secrets from messages and string fields', async () => {
    registerSecret('hunter2-long');
    const { logger, lines } = captureLogger();
    logger.error('bind failed with hunter2-long as password', {
      detail: 'server said: hunter2-long rejected',
      nested: { list: ['x hunter2-long y'] },
    });
    const [line = ''] = await lines();
    expect(line).not.toContain('hunter2-long');
    expect(JSON.parse(line)).toMatchObject({
      message: 'bind failed with [redacted] as password',
      detail: 'server said: [redacted] rejected',
      nested: { list: ['x [redacted] y'] },
    });
  });

  it('renders errors by their scrubbed message, with the stack only at debug level', async () => {
    registerSecret('pw-in-error');
    const error = new Error('invalid credentials for pw-in-error');

    const info = captureLogger({ level: 'info' });
    info.logger.error('bind failed', { error });
    const [infoLine = ''] = await info.lines();
    expect(JSON.parse(infoLine)).toMatchObject({ error: 'invalid credentials for [redacted]' });
    expect(infoLine).not.toContain('at ');

    const debug = captureLogger({ level: 'debug' });
    debug.logger.error('bind failed', { error });
    const [debugLine = ''] = await debug.lines();
    expect(debugLine).not.toContain('pw-in-error');
    expect(String((JSON.parse(debugLine) as { error: unknown }).error)).toMatch(
      /^Error: invalid credentials for \[redacted\]\n\s+at /,
    );
  });

  it('tells secret keys from paths to secrets', () => {
    expect(isSecretKey('password')).toBe(true);
    expect(isSecretKey('userPassword')).toBe(true);
    expect(isSecretKey('client_secret')).toBe(true);
    expect(isSecretKey('bind_password_file')).toBe(false);
    expect(isSecretKey('bindPasswordFile')).toBe(false);
    expect(isSecretKey('uid')).toBe(false);
  });

  it('survives circular and unusual field values', async () => {
    const { logger, lines } = captureLogger();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    logger.info('odd', { loop, when: new Date('2026-01-02T03:04:05Z'), big: 10n, gone: undefined });
    expect(parseLines(await lines())[0]).toEqual(
      expect.objectContaining({
        loop: { name: 'loop', self: '[circular]' },
        when: '2026-01-02T03:04:05.000Z',
        big: '10',
      }),
    );
  });
});
