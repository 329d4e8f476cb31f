/**
 * Large replies written in pieces: a JSON document produced piece by piece (a generator of
 * strings) is sent as a stream, a turn of the event loop between batches of pieces, so answering
 * dispatcher.list for 50,000 destinations never holds the relay. Nothing is built up front.
 */
import { Readable } from 'node:stream';

/** Pieces (about one destination each) joined into one chunk before the event loop turns. */
export const PIECES_PER_CHUNK = 500;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A JSON value whose text comes in pieces; a JSON-RPC result may be one (see rpc-route.ts). */
export class JsonPieces {
  constructor(readonly pieces: () => Iterable<string>) {}
}

async function* chunks(pieces: Iterable<string>): AsyncGenerator<string> {
  let chunk = '';
  let n = 0;
  for (const piece of pieces) {
    chunk += piece;
    if (++n % PIECES_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
      await turn();
    }
  }
  if (chunk !== '') yield chunk;
}

/** The readable stream of a document given as pieces. */
export function jsonReadable(pieces: Iterable<string>): Readable {
  return Readable.from(chunks(pieces), { objectMode: false });
}

/** `[a,b,…]` with each element given as pieces by `item`. */
export function* arrayPieces<T>(items: Iterable<T>, item: (x: T) => Iterable<string>): Generator<string> {
  yield '[';
  let first = true;
  for (const x of items) {
    if (!first) yield ',';
    first = false;
    yield* item(x);
  }
  yield ']';
}

/** `[…]` of JSON.stringify(each item), one piece per item. */
export function* jsonArray<T>(items: Iterable<T>, map: (x: T) => unknown = (x) => x): Generator<string> {
  yield* arrayPieces(items, function* (x) {
    yield JSON.stringify(map(x));
  });
}

/** 0 … n-1, for walking a lazy set. */
export function* indices(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}
