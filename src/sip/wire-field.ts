/**
 * The header field objects the parser makes. A field's value is sliced from the header text on its
 * first read: the parser itself reads the values it turns into views (Via, From, To, Call-ID,
 * Route, Record-Route) and hands them over, and the relay reads few of the others, so most values
 * are never made (bench/sip/alloc-native.mjs measures it).
 */
import type { HeaderField } from './message.js';
import { fieldValue, newFieldSpan, scanField } from './header-scanner.js';

/** Reused by every first read (reads are synchronous). */
const span = newFieldSpan();

export class WireField implements HeaderField {
  // True private fields: invisible to spreads and deep-equality checks.
  readonly #text: string;
  #value: string | undefined;

  /** `text` is the header section the field was parsed from, indexed like the message's source. */
  constructor(
    readonly name: string,
    readonly key: string,
    text: string,
    readonly wireStart: number,
    readonly wireEnd: number,
    value: string | undefined,
  ) {
    this.#text = text;
    this.#value = value;
  }

  get value(): string {
    if (this.#value === undefined) {
      scanField(this.#text, this.wireStart, span);
      this.#value = fieldValue(this.#text, span);
    }
    return this.#value;
  }
}
