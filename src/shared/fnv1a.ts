/**
 * 32-bit FNV-1a over a string's UTF-16 code units. Two bases give two independent hashes of one
 * key: a table that keeps hashes instead of keys needs both to collide for a false match.
 */
export const FNV_BASIS = 0x811c9dc5;
export const FNV_BASIS_2 = 0x050c5d1f;

export function fnv1aString(key: string, basis: number): number {
  let h = basis;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
