/**
 * Optional bearer token on the admin API. Both sides are hashed before the constant-time compare,
 * so neither the content nor the length of the token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** A checker of `Authorization` header values against the configured token. */
export function bearerChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    if (authorization === undefined) return false;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!match) return false;
    return timingSafeEqual(digest(match[1]!), expected);
  };
}
