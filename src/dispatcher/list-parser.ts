/**
 * dispatcher.list: Kamailio's grammar (ds_load_list, dispatch.c), quirks included.
 *
 *   setid destination [flags [priority [attrs]]]
 *
 * Space, TAB, CR and LF separate fields; `#` starts a comment at the beginning of a line and also
 * ends the destination, but not the attrs. Only digits are read for the set id, flags (or hex
 * after `0x`) and priority, so a non-numeric third column becomes the attrs. A line that holds only
 * a set id fails the whole file. A destination that does not parse is retried with `sip:` added.
 *
 * Strict mode (the default) reports every bad line as `file:line: reason` and the caller refuses
 * the load; lenient mode skips bad entries with a warning like Kamailio (ds_load_mode=0).
 */
import { parseUri } from '../sip/uri.js';
import { parseAttrs, type DestinationAttrs } from './attrs.js';

/** A destination URI as src/sip/uri.ts parses it (scheme, user, host, port, params). */
export type DestinationUri = NonNullable<ReturnType<typeof parseUri>>;

export type ListMode = 'strict' | 'lenient';

export interface ListEntry {
  /** 1-based line of the file (0 for entries that did not come from a file). */
  readonly line: number;
  readonly setId: number;
  /** As written, with `sip:` added when the file gave a bare host. */
  readonly uri: string;
  readonly target: DestinationUri;
  /** The flags column (bits, see flags.ts). */
  readonly flags: number;
  readonly priority: number;
  readonly attrs: DestinationAttrs;
}

export interface ListParse {
  readonly entries: readonly ListEntry[];
  /** `file:line: reason`; any error means the file must not be loaded. */
  readonly errors: readonly string[];
  /** A line is malformed (a set id alone): the file fails in either mode (LIST_SYNTAX). */
  readonly malformed: boolean;
  readonly warnings: readonly string[];
}

/** fgets(line, 1024, f): at most 1023 bytes, the newline included, are read at once. */
const FGETS_BYTES = 1023;
const MAX_INT = 2147483647;
/** DS_HN_SIZE - 2 */
const MAX_HOST = 254;

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const hexValue = (c: string): number => (isDigit(c) ? c.charCodeAt(0) - 48 : /^[a-fA-F]$/.test(c) ? (c.charCodeAt(0) | 0x20) - 87 : -1);

/** The raw columns of one line, read exactly as Kamailio's scanner reads them. */
interface RawLine {
  setId: number;
  hasSetId: boolean;
  uri: string;
  flags: number;
  priority: number;
  attrs: string;
  /** Digits were directly followed by text (`10abc`), or text was left after the attrs. */
  notes: string[] | undefined;
}

/** Reads one line, s[p, end), in place: the file's text is never cut into line strings. */
class Scanner {
  s = '';
  p = 0;
  end = 0;
  /** Reused line after line (a load reads tens of thousands): toEntry consumes it at once. */
  readonly raw: RawLine = { setId: 0, hasSetId: false, uri: '', flags: 0, priority: 0, attrs: '', notes: undefined };
  reset(s: string, start: number, end: number): this {
    this.s = s;
    this.p = start;
    this.end = end;
    return this;
  }
  get c(): string {
    return this.p < this.end ? this.s.charAt(this.p) : '';
  }
  atEnd(): boolean {
    return this.p >= this.end || this.c === '#';
  }
  skipSpace(): void {
    while (this.p < this.end && isSpace(this.c)) this.p++;
  }
  digits(): number {
    let n = 0;
    while (isDigit(this.c)) n = n * 10 + (this.s.charCodeAt(this.p++) - 48);
    return n;
  }
  /** Flags: decimal, or hex after a lowercase `0x`. */
  flags(): number {
    if (this.c !== '0' || this.s.charAt(this.p + 1) !== 'x') return this.digits();
    this.p += 2;
    let n = 0;
    for (let v = hexValue(this.c); v >= 0; v = hexValue(this.c)) {
      n = n * 16 + v;
      this.p++;
    }
    return n;
  }
  /** s[start, p) as a string of its own (see ownCopy). */
  token(stopAtHash: boolean): string {
    const start = this.p;
    while (this.p < this.end && !isSpace(this.c) && !(stopAtHash && this.c === '#')) this.p++;
    return ownCopy(this.s, start, this.p);
  }
  gluedText(): boolean {
    return this.p < this.end && !isSpace(this.c) && this.c !== '#';
  }
  /** The line from `from` to its end. */
  rest(from: number): string {
    return this.s.slice(from, this.end);
  }
  note(text: string): void {
    (this.raw.notes ??= []).push(text);
  }
}

const scanner = new Scanner();

/**
 * UTF-8 bytes of the token being copied. A token of a file line is at most 1022 bytes (fgets);
 * dispatcher.add's columns can be longer and take the slower copy.
 */
const copyBuffer = Buffer.allocUnsafe(4096);

/**
 * s[start, end) as a string that does not point into `s`: V8 keeps a substring as a slice of its
 * parent, so one kept URI would keep the whole list text (50 bytes a destination) alive. A short
 * substring is a copy already; a longer one is copied through one reused buffer, without the
 * Buffer object a `Buffer.from(...).toString()` round trip leaves behind each time.
 */
function ownCopy(s: string, start: number, end: number): string {
  if (end - start < 13) return s.slice(start, end);
  if ((end - start) * 3 > copyBuffer.length) return Buffer.from(s.slice(start, end), 'utf8').toString('utf8');
  const bytes = copyBuffer.write(s.slice(start, end), 0, 'utf8');
  return copyBuffer.toString('utf8', 0, bytes);
}

/** Scans s[start, end), one line; undefined for a blank or comment line, a string for a "bad line". */
function scanLine(s: string, start: number, end: number): RawLine | string | undefined {
  const raw = scanColumns(scanner.reset(s, start, end));
  // the scanner must not hold the file's text once its line is read
  scanner.reset('', 0, 0);
  return raw;
}

function scanColumns(sc: Scanner): RawLine | string | undefined {
  const s = sc.s;
  const end = sc.end;
  sc.skipSpace();
  if (sc.atEnd()) return undefined;
  const hasSetId = isDigit(sc.c);
  const setId = sc.digits();
  sc.skipSpace();
  if (sc.atEnd()) return 'bad line: a set id without a destination';
  const raw = sc.raw;
  raw.setId = setId;
  raw.hasSetId = hasSetId;
  raw.uri = sc.token(true);
  raw.flags = 0;
  raw.priority = 0;
  raw.attrs = '';
  raw.notes = undefined;
  if (sc.c === '#' && sc.rest(sc.p + 1).trim() !== '') sc.note(`'#' ends the destination: '${sc.rest(sc.p).trim()}' is a comment`);
  sc.skipSpace();
  if (sc.atEnd()) return raw;
  const flagsStart = sc.p;
  raw.flags = sc.flags();
  if (sc.p > flagsStart && sc.gluedText()) sc.note(`'${s.slice(flagsStart, sc.p)}' is read as flags, the text after it as attrs`);
  sc.skipSpace();
  if (sc.atEnd()) return raw;
  const prioStart = sc.p;
  raw.priority = sc.digits();
  if (sc.p > prioStart && sc.gluedText()) sc.note(`'${s.slice(prioStart, sc.p)}' is read as priority, the text after it as attrs`);
  sc.skipSpace();
  if (sc.atEnd()) return raw;
  raw.attrs = sc.token(false);
  sc.skipSpace();
  if (sc.p < end) sc.note(`text after the attrs is ignored: '${sc.rest(sc.p).trimEnd()}'`);
  return raw;
}

/** pack_dest: parse the URI, retrying with `sip:` for a bare host (Kamailio's exact condition). */
function parseDestination(uri: string): { uri: string; target: DestinationUri } | string {
  let target = parseUri(uri);
  let text = uri;
  if (!target && uri.length > 4 && !uri.startsWith('sip:') && uri.length < 500) {
    text = 'sip:' + uri;
    target = parseUri(text);
  }
  if (!target) return `bad destination URI '${uri}'`;
  if (target.scheme === 'tel') return `destination '${uri}' is not a sip: or sips: URI`;
  if (target.host.length > MAX_HOST) return `host of '${uri}' is longer than ${MAX_HOST} characters`;
  return { uri: text, target };
}

/** text[start, end) fits one fgets(1024) read: at most 1022 bytes before its newline. */
function fitsOneRead(text: string, start: number, end: number): boolean {
  const n = end - start;
  // a UTF-16 unit is at most 3 bytes of UTF-8: most lines need no byte count
  if (n * 3 + 1 <= FGETS_BYTES) return true;
  if (n + 1 > FGETS_BYTES) return false;
  return Buffer.byteLength(text.slice(start, end), 'utf8') + 1 <= FGETS_BYTES;
}

/** The pieces a line of 1023 bytes or more comes in through fgets(1024); `l` is the line without its newline. */
function fgetsPieces(l: string): string[] {
  const bytes = Buffer.from(l + '\n', 'utf8');
  const out: string[] = [];
  for (let at = 0; at < bytes.length; at += FGETS_BYTES) out.push(bytes.subarray(at, at + FGETS_BYTES).toString('utf8'));
  return out;
}

class Report {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  constructor(
    private readonly file: string,
    private readonly mode: ListMode,
  ) {}
  error(line: number, reason: string): void {
    this.errors.push(`${this.file}:${line}: ${reason}`);
  }
  warn(line: number, reason: string): void {
    this.warnings.push(`${this.file}:${line}: ${reason}`);
  }
  /** An entry-level problem: an error when strict, a warning (with Kamailio's outcome) when lenient. */
  entry(line: number, reason: string, lenientOutcome: string): void {
    if (this.mode === 'strict') this.error(line, reason);
    else this.warn(line, `${reason} -- ${lenientOutcome}`);
  }
}

function toEntry(raw: RawLine, line: number, report: Report): ListEntry | undefined {
  if (raw.setId > MAX_INT || raw.flags > MAX_INT || raw.priority > MAX_INT) {
    report.entry(line, 'number out of range (set id, flags and priority must fit in 31 bits)', 'skipping');
    return undefined;
  }
  const dest = parseDestination(raw.uri);
  if (typeof dest === 'string') {
    report.entry(line, dest, 'skipping');
    return undefined;
  }
  const parsed = parseAttrs(raw.attrs);
  if (parsed.errors.length > 0) {
    for (const e of parsed.errors) report.entry(line, e, 'skipping');
    return undefined;
  }
  for (const e of parsed.invalid) report.entry(line, e, 'value ignored');
  if (!raw.hasSetId) report.warn(line, `no set id: '${raw.uri}' goes to set 0`);
  if (dest.uri !== raw.uri) report.warn(line, `'${raw.uri}' has no scheme: loaded as '${dest.uri}'`);
  for (const n of raw.notes ?? []) report.warn(line, n);
  return { line, setId: raw.setId, uri: dest.uri, target: dest.target, flags: raw.flags, priority: raw.priority, attrs: parsed.attrs };
}

function* warnDuplicates(entries: readonly ListEntry[], report: Report, sliceLines: number): Generator<void> {
  const seen = new Map<string, number>();
  let done = 0;
  for (const e of entries) {
    if (++done % sliceLines === 0) yield;
    const key = `${e.setId} ${e.uri.toLowerCase()}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, e.line);
    else report.warn(e.line, `duplicate of line ${first} in set ${e.setId}: state changes by URI reach only the first`);
  }
}

/** Parses a dispatcher.list. Never throws: problems come back as `file:line: reason`. */
export function parseDispatcherList(text: string, file: string, mode: ListMode): ListParse {
  const steps = parseListSteps(text, file, mode, Number.POSITIVE_INFINITY);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * parseDispatcherList cut into steps: it pauses (yields) after every `sliceLines` lines, so a
 * caller can let the event loop run between slices of a large file; the result is the same.
 */
export function* parseListSteps(text: string, file: string, mode: ListMode, sliceLines: number): Generator<void, ListParse> {
  const report = new Report(file, mode);
  const entries: ListEntry[] = [];
  let malformed = false;
  let line = 0;
  const read = (s: string, start: number, end: number): void => {
    const raw = scanLine(s, start, end);
    if (raw === undefined) return;
    if (typeof raw === 'string') {
      report.error(line, raw);
      malformed = true;
      return;
    }
    const entry = toEntry(raw, line, report);
    if (entry) entries.push(entry);
  };
  for (let at = 0; at < text.length; ) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl;
    line++;
    if (fitsOneRead(text, at, end)) read(text, at, end);
    else {
      report.entry(line, `line is longer than ${FGETS_BYTES - 1} bytes`, 'read in pieces like Kamailio');
      if (mode !== 'strict') for (const piece of fgetsPieces(text.slice(at, end))) read(piece, 0, piece.length);
    }
    at = end + 1;
    if (line % sliceLines === 0) yield;
  }
  yield* warnDuplicates(entries, report, sliceLines);
  return { entries, errors: report.errors, malformed, warnings: report.warnings };
}

/**
 * Prints entries in the file format, one per line, so that parsing the output gives them back.
 * `#` cannot appear in a destination in this format (it ends the URI), so it is written %23.
 */
export function printDispatcherList(entries: readonly ListEntry[]): string {
  let out = '# setid destination flags priority attrs\n';
  for (const e of entries) {
    out += `${e.setId} ${e.uri.replaceAll('#', '%23')} ${e.flags} ${e.priority}`;
    if (e.attrs.body !== '') out += ` ${e.attrs.body}`;
    out += '\n';
  }
  return out;
}
