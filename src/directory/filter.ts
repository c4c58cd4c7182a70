/**
 * Typed builders for LDAP search filters. Filters are always trees of ldapts filter objects that
 * are BER-encoded with raw values, so user data can never change a filter's structure; their
 * `toString()` renders the RFC 4515 form (for logs and tests).
 */
import {
  AndFilter,
  EqualityFilter,
  type Filter,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
} from 'ldapts';

export type { Filter } from 'ldapts';

/** Attribute description: a name or numeric OID, optionally with options such as `;binary`. */
const ATTRIBUTE_DESCRIPTION = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/;

function checkAttribute(attribute: string): string {
  if (!ATTRIBUTE_DESCRIPTION.test(attribute)) {
    throw new TypeError(`invalid LDAP attribute name in filter: ${JSON.stringify(attribute)}`);
  }
  return attribute;
}

/** `(attribute=value)` */
export function eq(attribute: string, value: string): Filter {
  return new EqualityFilter({ attribute: checkAttribute(attribute), value });
}

/** `(attribute=*)` */
export function present(attribute: string): Filter {
  return new PresenceFilter({ attribute: checkAttribute(attribute) });
}

/** `(attribute<=value)` */
export function lte(attribute: string, value: string): Filter {
  return new LessThanEqualsFilter({ attribute: checkAttribute(attribute), value });
}

/** `(attribute>=value)` */
export function gte(attribute: string, value: string): Filter {
  return new GreaterThanEqualsFilter({ attribute: checkAttribute(attribute), value });
}

/** `(&…)`; with no operands it is the absolute true filter of RFC 4526. */
export function and(...filters: Filter[]): Filter {
  return new AndFilter({ filters });
}

/** `(|…)`; with no operands it is the absolute false filter of RFC 4526. */
export function or(...filters: Filter[]): Filter {
  return new OrFilter({ filters });
}

/** `(!filter)` */
export function not(filter: Filter): Filter {
  return new NotFilter({ filter });
}

/** `(|(attribute=v1)(attribute=v2)…)`: matches any of the values. */
export function anyOf(attribute: string, values: readonly string[]): Filter {
  return or(...values.map((value) => eq(attribute, value)));
}
