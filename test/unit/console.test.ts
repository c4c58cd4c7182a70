/** The web console's small parts: escaping, the sign-in failure limit, `console.*` settings. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { html } from '../../src/console/html.js';
import { FailureLimiter } from '../../src/console/limiter.js';
import { parseListen } from '../../src/console/server.js';

const REQUIRED = { source_uid: 'district', ldap: { base_dn: 'dc=example,dc=org' } };

describe('html', () => {
  it('escapes interpolated text, keeps Html made by the tag, joins lists, drops undefined', () => {
    const name = '<script>alert("x")</script>&\'';
    const inner = html`<b>${name}</b>`;
    expect(html`<p title="${name}">${inner}${[1, 2]}${undefined}</p>`.text).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</b>12</p>',
    );
  });
});

describe('sign-in failure limit', () => {
  it('blocks an address after max failures within the window, until the oldest leaves it; a success clears it', () => {
    const limiter = new FailureLimiter({ max: 2, windowMs: 60_000 });
    limiter.fail('a', 0);
    expect(limiter.retryAfter('a', 1000)).toBe(0);
    limiter.fail('a', 10_000);
    expect(limiter.retryAfter('a', 20_000)).toBe(40);
    expect(limiter.retryAfter('b', 20_000)).toBe(0);
    expect(limiter.retryAfter('a', 60_001)).toBe(0);
    limiter.fail('a', 60_002);
    limiter.succeed('a');
    expect(limiter.retryAfter('a', 60_003)).toBe(0);
  });
});

describe('console settings', () => {
  it('defaults to loopback:8080 and parses IPv4 and IPv6 listen addresses', () => {
    expect(parseConfig(REQUIRED, 'a.yaml').console.listen).toBe('127.0.0.1:8080');
    expect(parseListen('[::1]:9443')).toEqual({ host: '::1', port: 9443 });
    expect(parseListen('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
  });

  it('names the key of a bad listen address, a bad group DN and a half TLS setting', () => {
    const bad = {
      ...REQUIRED,
      console: { listen: '8080', school_groups: { gym1: 'not a dn' }, tls: { cert_file: 'c.pem' } },
    };
    let message = '';
    try {
      parseConfig(bad, 'a.yaml');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('console.listen');
    expect(message).toContain('console.school_groups.gym1');
    expect(message).toContain('console.tls.key_file');
  });
});
