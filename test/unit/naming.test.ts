/** Username and e-mail templates: syntax, transliteration, counters, max_length and allocation. */
import { describe, expect, it } from 'vitest';
import {
  compileNameTemplate,
  EmptyNameError,
  NameAllocator,
  NameCollisionError,
  type NameTemplate,
  TemplateError,
  transliterate,
} from '../../src/naming/index.js';

const USERNAME = 'scheme.username';
const EMAIL = 'scheme.email';

function username(template: string): NameTemplate {
  return compileNameTemplate(template, USERNAME);
}

function templateError(template: string, key = USERNAME): TemplateError {
  try {
    compileNameTemplate(template, key);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error(`expected '${template}' to be rejected`);
}

describe('transliterate', () => {
  it.each([
    ['Müller', 'Mueller'],
    ['Ärger Öl Übel', 'Aerger Oel Uebel'],
    ['Straße', 'Strasse'],
    ['Renée', 'Renee'],
    ['Łukasz', 'Lukasz'],
    ['Żółć', 'Zolc'],
    ['Дмитрий', 'Dmitriy'],
    ['u\u0308ber', 'ueber'],
  ])('%s → %s', (input, expected) => {
    expect(transliterate(input)).toBe(expected);
  });

  it('gives ASCII for Greek and CJK', () => {
    for (const text of ['Αλέξανδρος', '李小龍', 'Nguyễn', 'Ærøskøbing']) {
      expect(transliterate(text)).toMatch(/^[\x20-\x7e]+$/);
    }
  });
});

describe('compileNameTemplate', () => {
  it.each([
    ['<fristname>.<lastname>', 'scheme.username: unknown field <fristname>; did you mean <firstname>?'],
    ['<firstname', "'<' without '>'"],
    ['<firstname>[0', "'[' without ']'"],
    ['<firstname>[a:b]', 'invalid slice [a:b] after <firstname>'],
    ['<firstname>[3:1]', 'always empty'],
    ['<lastname>[COUNTER2]x', 'a counter must come last in the name'],
    ['<lastname>[COUNTER2][ALWAYSCOUNTER]', 'a counter must come last'],
    ['<lastname>[COUNTER3]', 'unknown counter [COUNTER3]; did you mean [COUNTER2]?'],
    ['x[0]', "unexpected '[0]'"],
    ['<lastname>>', "unexpected '>'"],
    ['', 'no name part'],
    ['[ALWAYSCOUNTER]', 'no name part'],
  ])('rejects %j', (template, message) => {
    const error = templateError(template);
    expect(error.message).toContain(message);
    expect(error.message.startsWith(`${USERNAME}: `)).toBe(true);
    expect(error.exitCode).toBe(2);
  });

  it.each([
    ['<firstname>@<school>.example', 'the domain after'],
    ['<firstname>[COUNTER2].x@school.example', "local part (right before '@')"],
    ['<firstname>@@school.example', "more than one '@'"],
    ['<firstname>@', 'not a valid mail domain'],
    ['<firstname>', "needs '@domain'"],
  ])('rejects the e-mail template %j', (template, message) => {
    const error = (() => {
      try {
        compileNameTemplate(template, EMAIL, { kind: 'email' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).message).toContain(`${EMAIL}: `);
    expect((error as TemplateError).message).toContain(message);
  });

  it('rejects @ in a username template', () => {
    expect(() => compileNameTemplate('<firstname>@x.de', USERNAME, { kind: 'username' })).toThrow(
      "a username template cannot contain '@'",
    );
  });

  it('accepts attr: fields and fields the caller declares', () => {
    expect(
      compileNameTemplate('<attr:employeeNumber>.<nickname>', USERNAME, { fields: ['nickname'] }).fields,
    ).toEqual(['attr:employeeNumber', 'nickname']);
    expect(templateError('<nickname>').message).toContain('unknown field <nickname>');
  });

  it('reports the counter kind and template kind', () => {
    expect(username('<lastname>[ALWAYSCOUNTER]').counter).toBe('ALWAYSCOUNTER');
    expect(username('<lastname>').counter).toBeUndefined();
    expect(compileNameTemplate('<lastname>@x.de', EMAIL).kind).toBe('email');
  });
});

describe('rendering', () => {
  const render = (template: string, values: Record<string, string>, maxLength?: number): string =>
    new NameAllocator().allocate(username(template), values, { maxLength });

  it('applies the default scheme with German transliteration', () => {
    expect(render('<firstname>[0].<lastname>', { firstname: 'Ümit', lastname: 'Müller-Lüdenscheidt' })).toBe(
      'u.mueller-luedenscheidt',
    );
  });

  it('slices the cleaned value', () => {
    const values = { firstname: "O'Brien", lastname: 'Øster' };
    expect(render('<firstname>[0:3]', values)).toBe('obr');
    expect(render('<firstname>[2:]', values)).toBe('rien');
    expect(render('<firstname>[1]<lastname>', values)).toBe('boster');
    expect(render('<firstname>[:2]', values)).toBe('ob');
  });

  it('drops spaces and other characters and tidies separators', () => {
    expect(render('<firstname>.<lastname>', { firstname: 'Anna Lena', lastname: 'von  der Au!' })).toBe(
      'annalena.vonderau',
    );
    expect(render('<firstname>.<lastname>', { firstname: '', lastname: 'Meier' })).toBe('meier');
    expect(render('<firstname>._-<lastname>', { firstname: '-Jo-', lastname: '__Li' })).toBe('jo.li');
    expect(render('<firstname>', { firstname: 'Ελένη' })).toBe('eleni');
  });

  it('uses record_uid, school and literal text', () => {
    expect(render('S-<school>-<record_uid>', { school: 'Gym1', record_uid: 'A 17' })).toBe('s-gym1-a17');
  });

  it('cuts to max_length and never leaves a separator at the end', () => {
    expect(render('<firstname>.<lastname>', { firstname: 'Maximiliane', lastname: 'Schmidt' }, 12)).toBe(
      'maximiliane',
    );
    expect(render('<firstname>.<lastname>', { firstname: 'Max', lastname: 'Schmidt' }, 5)).toBe('max.s');
  });

  it('renders e-mail addresses with a literal lower-case domain, without max_length', () => {
    const template = compileNameTemplate('<firstname>.<lastname>@Schule.Example', EMAIL);
    const allocator = new NameAllocator();
    expect(
      allocator.allocate(template, { firstname: 'Jürgen', lastname: 'Großmann' }, { maxLength: 5 }),
    ).toBe('juergen.grossmann@schule.example');
  });

  it('names the record when nothing usable is left', () => {
    const allocate = (): string =>
      new NameAllocator().allocate(
        username('<firstname>.<lastname>[COUNTER2]'),
        { firstname: '***', lastname: '' },
        { record: 'record_uid 4711' },
      );
    expect(allocate).toThrow(EmptyNameError);
    expect(allocate).toThrow('scheme.username: the template gives an empty name for record_uid 4711');
  });
});

describe('NameAllocator', () => {
  const values = { firstname: 'Anna', lastname: 'Meier' };

  it('adds COUNTER2 only on collision, from 2 on', () => {
    const template = username('<firstname>[0].<lastname>[COUNTER2]');
    const allocator = new NameAllocator(['A.Meier', 'a.meier3']);
    expect(allocator.allocate(template, values)).toBe('a.meier2');
    expect(allocator.allocate(template, values)).toBe('a.meier4');
    expect(new NameAllocator().allocate(template, values)).toBe('a.meier');
  });

  it('always numbers with ALWAYSCOUNTER, from 1 on', () => {
    const template = username('<lastname>[ALWAYSCOUNTER]');
    const allocator = new NameAllocator();
    expect([1, 2, 3].map(() => allocator.allocate(template, values))).toEqual(['meier1', 'meier2', 'meier3']);
  });

  it('keeps separators written before the counter with the counter', () => {
    const template = username('<lastname>-[COUNTER2]');
    const allocator = new NameAllocator();
    expect(allocator.allocate(template, values)).toBe('meier');
    expect(allocator.allocate(template, values)).toBe('meier-2');
  });

  it('counts counter digits against max_length', () => {
    const template = username('<firstname>.<lastname>[COUNTER2]');
    const allocator = new NameAllocator([
      'anna.meier',
      'anna.meie2',
      ...range(3, 9).map((n) => `anna.meie${n}`),
    ]);
    expect(allocator.allocate(template, values, { maxLength: 10 })).toBe('anna.mei10');
    expect(allocator.allocate(template, values, { maxLength: 10 })).toBe('anna.mei11');
    expect(allocator.allocate(template, values, { maxLength: 10 })).toHaveLength(10);
  });

  it('fails when no counter fits max_length', () => {
    const template = username('<lastname>[ALWAYSCOUNTER]');
    const allocator = new NameAllocator(range(1, 9).map((n) => `m${n}`));
    expect(() => allocator.allocate(template, values, { maxLength: 2 })).toThrow(NameCollisionError);
  });

  it('throws NameCollisionError for a taken name without counter', () => {
    const template = username('<firstname>.<lastname>');
    const allocator = new NameAllocator(['ANNA.MEIER']);
    expect(() => allocator.allocate(template, values, { record: 'line 3' })).toThrow(
      "scheme.username: 'anna.meier' (for line 3) is already taken and the template has no counter",
    );
  });

  it('take, release and isTaken ignore case; a released name is handed out again', () => {
    const template = compileNameTemplate('<firstname>.<lastname>[COUNTER2]@school.example', EMAIL);
    const allocator = new NameAllocator();
    expect(allocator.allocate(template, values)).toBe('anna.meier@school.example');
    expect(allocator.allocate(template, values)).toBe('anna.meier2@school.example');
    expect(allocator.isTaken('Anna.Meier@School.Example')).toBe(true);
    allocator.release('ANNA.MEIER@school.example');
    expect(allocator.isTaken('anna.meier@school.example')).toBe(false);
    expect(allocator.allocate(template, values)).toBe('anna.meier@school.example');
    allocator.take('anna.meier3@school.example');
    expect(allocator.allocate(template, values)).toBe('anna.meier4@school.example');
  });

  it('is deterministic for the same taken set and call order', () => {
    const template = username('<firstname>[0].<lastname>[COUNTER2]');
    const people = [
      values,
      { firstname: 'Axel', lastname: 'Meier' },
      { firstname: 'Bea', lastname: 'Meier' },
    ];
    const run = (): string[] => {
      const allocator = new NameAllocator(['a.meier', 'b.meier2']);
      return people.map((person) => allocator.allocate(template, person, { maxLength: 20 }));
    };
    expect(run()).toEqual(['a.meier2', 'a.meier3', 'b.meier']);
    expect(run()).toEqual(run());
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}
