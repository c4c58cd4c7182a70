import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTE_TYPES,
  type AttributeTypeDefinition,
  attributeTypeOid,
  OBJECT_CLASSES,
  STANDARD_ATTRIBUTES,
  objectClassOid,
  ROSTERSYNC_OID_ARC,
  renderSchema,
  renderSchemaFile,
  renderSchemaLdif,
  SCHEMA_CONFIG_DN,
  SYNTAX_OIDS,
} from '../../src/schema/index.js';
import { foldLdifLine, LDIF_LINE_WIDTH, ldifAttributeLine, unfoldLdif } from '../../src/ldif.js';

/** The description text of one attribute type or object class in a rendering, whitespace-normalised. */
function descriptionOf(rendering: string, oid: string): string {
  const unfolded = unfoldLdif(rendering).replace(/\s+/g, ' ');
  const start = unfolded.indexOf(`( ${oid} `);
  expect(start, `${oid} is rendered`).toBeGreaterThanOrEqual(0);
  // Walk to the matching close parenthesis, skipping quoted DESC text.
  let depth = 0;
  let quoted = false;
  for (let index = start; index < unfolded.length; index++) {
    const char = unfolded[index];
    if (char === "'") quoted = !quoted;
    else if (!quoted && char === '(') depth++;
    else if (!quoted && char === ')' && --depth === 0) return unfolded.slice(start, index + 1);
  }
  throw new Error(`unbalanced description for ${oid}`);
}

describe('schema definition', () => {
  it('mints the arc from a UUID', () => {
    expect(ROSTERSYNC_OID_ARC).toMatch(/^2\.25\.[1-9][0-9]*$/);
    expect(BigInt(ROSTERSYNC_OID_ARC.slice('2.25.'.length))).toBeLessThan(2n ** 128n);
  });

  it('gives every attribute type and object class a unique OID under the arc', () => {
    const oids = [...ATTRIBUTE_TYPES.map(attributeTypeOid), ...OBJECT_CLASSES.map(objectClassOid)];
    expect(new Set(oids).size).toBe(oids.length);
    for (const attribute of ATTRIBUTE_TYPES) {
      expect(attributeTypeOid(attribute)).toBe(`${ROSTERSYNC_OID_ARC}.1.${attribute.number}`);
    }
    for (const objectClass of OBJECT_CLASSES) {
      expect(objectClassOid(objectClass)).toBe(`${ROSTERSYNC_OID_ARC}.2.${objectClass.number}`);
    }
    for (const oid of oids) {
      expect(oid).toMatch(/^2\.25\.\d+\.[12]\.[1-9]\d*$/);
    }
  });

  it('keeps the published numbers and names (a contract: never renumber)', () => {
    expect(ATTRIBUTE_TYPES.map(({ number, name }) => [number, name])).toEqual([
      [1, 'rostersyncSourceUid'],
      [2, 'rostersyncRecordUid'],
      [3, 'rostersyncRole'],
      [4, 'rostersyncSchool'],
      [5, 'rostersyncPurgeTimestamp'],
      [6, 'rostersyncMissingSince'],
      [7, 'rostersyncDeactivatedTimestamp'],
      [8, 'rostersyncWarningTimestamp'],
      [9, 'rostersyncRetirementState'],
      [10, 'rostersyncClass'],
      [11, 'rostersyncPriorEndTime'],
      [12, 'rostersyncRemovedTimestamp'],
      [13, 'rostersyncWarningRule'],
      [14, 'rostersyncKeptTimestamp'],
      [15, 'rostersyncLockFound'],
      [16, 'rostersyncRetirementUpdated'],
      [17, 'rostersyncRetirementError'],
      [18, 'rostersyncLeaseHolder'],
      [19, 'rostersyncLeaseExpires'],
      [20, 'rostersyncLeaseSource'],
      [21, 'rostersyncLeaseSchool'],
      [22, 'rostersyncLeaseJob'],
      [23, 'rostersyncRuleMail'],
    ]);
    expect(OBJECT_CLASSES.map(({ number, name }) => [number, name])).toEqual([
      [1, 'rostersyncUser'],
      [2, 'rostersyncGroup'],
      [3, 'rostersyncLease'],
    ]);
  });

  it('uses unique names, all prefixed rostersync, and only defined attributes in classes', () => {
    const names = [...ATTRIBUTE_TYPES, ...OBJECT_CLASSES].map((item) => item.name.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name.startsWith('rostersync')).toBe(true);
    const attributeNames = new Set<string>([
      ...ATTRIBUTE_TYPES.map((attribute) => attribute.name),
      ...STANDARD_ATTRIBUTES,
    ]);
    for (const objectClass of OBJECT_CLASSES) {
      for (const name of [...objectClass.must, ...objectClass.may])
        expect(attributeNames.has(name)).toBe(true);
    }
  });

  it('matches source and record uids case-exactly and schools case-insensitively', () => {
    const byName = new Map<string, AttributeTypeDefinition>(
      ATTRIBUTE_TYPES.map((attribute) => [attribute.name, attribute]),
    );
    expect(byName.get('rostersyncSourceUid')?.equality).toBe('caseExactMatch');
    expect(byName.get('rostersyncRecordUid')?.equality).toBe('caseExactMatch');
    expect(byName.get('rostersyncSchool')?.equality).toBe('caseIgnoreMatch');
    expect(byName.get('rostersyncRole')?.equality).toBe('caseIgnoreMatch');
    // The lifecycle compares rule names exactly and filters the warning and keep times by order.
    expect(byName.get('rostersyncWarningRule')?.equality).toBe('caseExactMatch');
    expect(byName.get('rostersyncWarningRule')?.singleValue).toBe(true);
    expect(byName.get('rostersyncWarningTimestamp')?.ordering).toBe('generalizedTimeOrderingMatch');
    expect(byName.get('rostersyncKeptTimestamp')?.ordering).toBe('generalizedTimeOrderingMatch');
    expect(OBJECT_CLASSES[0].may).toEqual(
      expect.arrayContaining([
        'rostersyncWarningRule',
        'rostersyncKeptTimestamp',
        'rostersyncWarningTimestamp',
      ]),
    );
    // A found lock's mark is a flag that stays with the user.
    expect(byName.get('rostersyncLockFound')).toMatchObject({
      syntax: 'boolean',
      equality: 'booleanMatch',
      singleValue: true,
    });
    expect(OBJECT_CLASSES[0].may).toContain('rostersyncLockFound');
    for (const attribute of ATTRIBUTE_TYPES) {
      if (attribute.syntax === 'generalizedTime') {
        expect(attribute.equality).toBe('generalizedTimeMatch');
        expect(attribute.ordering).toBe('generalizedTimeOrderingMatch');
        expect(attribute.singleValue).toBe(true);
      }
    }
  });
});

describe.each([
  ['slapd.conf', renderSchemaFile()],
  ['LDIF', renderSchemaLdif()],
])('%s rendering', (_label, rendering) => {
  it('contains every attribute type with its name, description, rules and syntax', () => {
    for (const attribute of ATTRIBUTE_TYPES) {
      const description = descriptionOf(rendering, attributeTypeOid(attribute));
      expect(description).toContain(`NAME '${attribute.name}'`);
      expect(description).toContain(`DESC '${attribute.description}'`);
      expect(description).toContain(`EQUALITY ${attribute.equality}`);
      expect(description).toContain(`SYNTAX ${SYNTAX_OIDS[attribute.syntax]}`);
      expect(description.includes('SINGLE-VALUE')).toBe(attribute.singleValue);
    }
  });

  it('contains every object class with its MUST and MAY lists', () => {
    for (const objectClass of OBJECT_CLASSES) {
      const description = descriptionOf(rendering, objectClassOid(objectClass));
      expect(description).toContain(`NAME '${objectClass.name}'`);
      expect(description).toContain(` ${objectClass.kind} `);
      for (const name of [...objectClass.must, ...objectClass.may]) expect(description).toContain(name);
    }
    expect(descriptionOf(rendering, objectClassOid(OBJECT_CLASSES[0]))).toContain(
      'MUST ( rostersyncSourceUid $ rostersyncRecordUid )',
    );
  });

  it('gives the purge timestamp generalized-time equality and ordering', () => {
    const purge = ATTRIBUTE_TYPES.find((attribute) => attribute.name === 'rostersyncPurgeTimestamp');
    expect(purge).toBeDefined();
    const description = descriptionOf(rendering, attributeTypeOid(purge ?? ATTRIBUTE_TYPES[0]));
    expect(description).toContain('EQUALITY generalizedTimeMatch');
    expect(description).toContain('ORDERING generalizedTimeOrderingMatch');
    expect(description).toContain('SYNTAX 1.3.6.1.4.1.1466.115.121.1.24');
  });
});

describe('renderSchemaFile', () => {
  it('starts with a comment header and uses slapd.conf directives', () => {
    const text = renderSchemaFile();
    expect(text.startsWith('#')).toBe(true);
    expect(text.match(/^attributetype \(/gm)).toHaveLength(ATTRIBUTE_TYPES.length);
    expect(text.match(/^objectclass \(/gm)).toHaveLength(OBJECT_CLASSES.length);
    // Every line is a comment, a directive start, a continuation (leading whitespace) or blank.
    for (const line of text.split('\n'))
      expect(line).toMatch(/^(#.*|attributetype .*|objectclass .*|\s+.*|)$/);
  });
});

describe('renderSchemaLdif', () => {
  const text = renderSchemaLdif();
  const physicalLines = text.trimEnd().split('\n');
  const logicalLines = unfoldLdif(text)
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('#'));

  it('is one cn=config schema entry', () => {
    expect(logicalLines.slice(0, 3)).toEqual([
      `dn: ${SCHEMA_CONFIG_DN}`,
      'objectClass: olcSchemaConfig',
      'cn: rostersync',
    ]);
    expect(logicalLines.filter((line) => line.startsWith('olcAttributeTypes: '))).toHaveLength(
      ATTRIBUTE_TYPES.length,
    );
    expect(logicalLines.filter((line) => line.startsWith('olcObjectClasses: '))).toHaveLength(
      OBJECT_CLASSES.length,
    );
    expect(logicalLines.every((line) => line.length > 0)).toBe(true);
  });

  it('keeps physical lines within 76 characters', () => {
    expect(physicalLines.some((line) => line.startsWith(' '))).toBe(true);
    for (const line of physicalLines) expect(line.length).toBeLessThanOrEqual(LDIF_LINE_WIDTH);
  });

  it('unfolds back to the full single-line descriptions', () => {
    const values = logicalLines
      .filter((line) => line.startsWith('olcAttributeTypes: '))
      .map((line) => line.slice('olcAttributeTypes: '.length));
    const purge = ATTRIBUTE_TYPES[4];
    expect(values[4]).toBe(
      `( ${attributeTypeOid(purge)} NAME 'rostersyncPurgeTimestamp' DESC '${purge.description}' ` +
        'EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch ' +
        'SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 SINGLE-VALUE )',
    );
  });
});

describe('LDIF helpers', () => {
  it('folds long lines and unfolds them losslessly', () => {
    for (const length of [0, 1, 75, 76, 77, 150, 151, 152, 500]) {
      const line = Array.from({ length }, (_, index) => String.fromCharCode(33 + (index % 90))).join('');
      const folded = foldLdifLine(line);
      for (const physical of folded.split('\n')) expect(physical.length).toBeLessThanOrEqual(76);
      expect(
        folded
          .split('\n')
          .slice(1)
          .every((physical) => physical.startsWith(' ')),
      ).toBe(true);
      expect(unfoldLdif(folded)).toBe(line);
    }
  });

  it('keeps spaces at fold points (only the one leading space is removed)', () => {
    const line = `a${' '.repeat(200)}b`;
    expect(unfoldLdif(foldLdifLine(line, 10))).toBe(line);
  });

  it('base64-encodes values that are not safe strings', () => {
    expect(ldifAttributeLine('cn', 'plain')).toBe('cn: plain');
    expect(ldifAttributeLine('cn', ' leading')).toBe(`cn:: ${Buffer.from(' leading').toString('base64')}`);
    expect(ldifAttributeLine('cn', ':x')).toMatch(/^cn:: /);
    expect(ldifAttributeLine('cn', 'Jürgen')).toBe(`cn:: ${Buffer.from('Jürgen').toString('base64')}`);
  });
});

describe('renderSchema', () => {
  it('selects the rendering by format', () => {
    expect(renderSchema('schema')).toBe(renderSchemaFile());
    expect(renderSchema('ldif')).toBe(renderSchemaLdif());
  });
});
