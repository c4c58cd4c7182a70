import { describe, expect, it } from 'vitest';
import { attributeNames, DEFAULT_ATTRIBUTE_NAMES, parseConfig } from '../../src/config/index.js';
import { ATTRIBUTE_TYPES } from '../../src/schema/index.js';

const REQUIRED = { source_uid: 'district', ldap: { base_dn: 'dc=example,dc=org' } };

/** Every attribute of the schema mapped to a name of its own: `ext<number>`. */
const EVERY_ATTRIBUTE_MAPPED = Object.fromEntries(
  ATTRIBUTE_TYPES.map(({ name, number }) => [name, `ext${number}`]),
);

describe('the attribute registry', () => {
  it('gives every attribute of the schema a key of its own', () => {
    const keys = ATTRIBUTE_TYPES.map(({ key }) => key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is what ldap.attributes accepts as keys', () => {
    expect(DEFAULT_ATTRIBUTE_NAMES).toEqual(ATTRIBUTE_TYPES.map(({ name }) => name));
    const config = parseConfig(
      { ...REQUIRED, ldap: { ...REQUIRED.ldap, attributes: EVERY_ATTRIBUTE_MAPPED } },
      't',
    );
    expect(config.ldap.attributes).toEqual(EVERY_ATTRIBUTE_MAPPED);
  });

  it('names every attribute of the schema by its key, under the schema name by default', () => {
    const names = attributeNames(parseConfig(REQUIRED, 't'));
    expect(names).toEqual(Object.fromEntries(ATTRIBUTE_TYPES.map(({ key, name }) => [key, name])));
    expect(names.sourceUid).toBe('rostersyncSourceUid');
    expect(names.className).toBe('rostersyncClass');
    expect(names.removedTimestamp).toBe('rostersyncRemovedTimestamp');
  });

  it('names every attribute by its key under the name ldap.attributes maps it to', () => {
    const config = parseConfig(
      { ...REQUIRED, ldap: { ...REQUIRED.ldap, attributes: EVERY_ATTRIBUTE_MAPPED } },
      't',
    );
    const names = attributeNames(config);
    expect(names).toEqual(
      Object.fromEntries(ATTRIBUTE_TYPES.map(({ key, number }) => [key, `ext${number}`])),
    );
    expect(names.warningTimestamp).toBe('ext8');
    expect(names.retirementState).toBe('ext9');
  });
});
