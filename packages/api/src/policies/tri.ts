/**
 * Kleene's three-valued logic: true, false, or null for unknown (the data was not
 * collected). Unknown never turns into pass or fail by itself: it decides only when the
 * other values cannot (false AND unknown is false; true OR unknown is true).
 */
export type Tri = boolean | null;

export const and = (a: Tri, b: Tri): Tri =>
  a === false || b === false ? false : a === null || b === null ? null : true;

export const or = (a: Tri, b: Tri): Tri =>
  a === true || b === true ? true : a === null || b === null ? null : false;

export const not = (a: Tri): Tri => (a === null ? null : !a);
