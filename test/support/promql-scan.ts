/**
 * A deliberately small PromQL scanner for linting dashboard queries without a Prometheus: it checks
 * brackets, finds the series selectors with their label matchers, the grouping labels
 * (by / without / on / ignoring / group_left / group_right) and the functions called. The real
 * parser check is test/e2e/prometheus-dashboard.test.ts, which asks a running Prometheus.
 */

export interface Selector {
  metric: string;
  labels: string[];
}

export interface PromqlScan {
  selectors: Selector[];
  groupingLabels: string[];
  functions: string[];
  errors: string[];
}

/** Functions and aggregation operators of PromQL (Prometheus 2.x and 3.x). */
export const PROMQL_FUNCTIONS: ReadonlySet<string> = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile',
  'abs', 'absent', 'absent_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'day_of_month',
  'day_of_week', 'day_of_year', 'days_in_month', 'delta', 'deriv', 'exp', 'floor', 'histogram_quantile',
  'histogram_count', 'histogram_sum', 'histogram_fraction', 'hour', 'idelta', 'increase', 'irate', 'label_join',
  'label_replace', 'ln', 'log2', 'log10', 'minute', 'month', 'predict_linear', 'rate', 'resets', 'round', 'scalar',
  'sgn', 'sort', 'sort_desc', 'sqrt', 'time', 'timestamp', 'vector', 'year', 'avg_over_time', 'min_over_time',
  'max_over_time', 'sum_over_time', 'count_over_time', 'quantile_over_time', 'stddev_over_time', 'stdvar_over_time',
  'last_over_time', 'present_over_time',
]);

const AGGREGATORS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const IDENT_START = /[a-zA-Z_:]/;
const IDENT_PART = /[a-zA-Z0-9_:]/;
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*$/;

/** Index just past the string literal opening at `i` (", ' or `), or -1 if it never closes. */
function skipString(s: string, i: number): number {
  const quote = s[i];
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\' && quote !== '`') j++;
    else if (s[j] === quote) return j + 1;
  }
  return -1;
}

/** Brackets balance and nest properly, ignoring those inside string literals. */
export function bracketErrors(s: string): string[] {
  const stack: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(s, i);
      if (end < 0) return [`unterminated string at ${i}`];
      i = end - 1;
    } else if (c === '(' || c === '[' || c === '{') {
      stack.push(c);
    } else if (c in CLOSERS) {
      if (stack.pop() !== CLOSERS[c]) return [`unbalanced '${c}' at ${i}`];
    }
  }
  return stack.length > 0 ? [`unclosed '${stack[stack.length - 1]}'`] : [];
}

/** Index of the bracket closing the one at `open` (strings skipped); the caller checked balance. */
function closing(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === "'" || c === '`') i = skipString(s, i) - 1;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') if (--depth === 0) return i;
  }
  return s.length;
}

/** Split on commas that are outside string literals. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"' || c === "'" || c === '`') i = skipString(body, i) - 1;
    else if (c === ',') {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.filter((p) => p.trim() !== '');
}

function matcherLabels(body: string, errors: string[]): string[] {
  return splitTopLevel(body).flatMap((m) => {
    const hit = MATCHER.exec(m);
    if (!hit) errors.push(`bad label matcher '${m.trim()}'`);
    return hit ? [hit[1]!] : [];
  });
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i]!)) i++;
  return i;
}

/** Scan one expression. A bare `{…}` selector without a metric name is reported as an error. */
export function scanPromql(expr: string): PromqlScan {
  const out: PromqlScan = { selectors: [], groupingLabels: [], functions: [], errors: bracketErrors(expr) };
  if (out.errors.length > 0) return out;
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') i = skipString(expr, i);
    else if (c === '[') i = closing(expr, i) + 1;
    else if (c === '{') {
      out.errors.push(`selector without a metric name at ${i}`);
      i = closing(expr, i) + 1;
    } else if (/[0-9.]/.test(c)) {
      while (i < expr.length && /[0-9a-zA-Z._]/.test(expr[i]!)) i++;
    } else if (IDENT_START.test(c)) i = scanIdentifier(expr, i, out);
    else i++;
  }
  return out;
}

function scanIdentifier(expr: string, start: number, out: PromqlScan): number {
  let i = start;
  while (i < expr.length && IDENT_PART.test(expr[i]!)) i++;
  const word = expr.slice(start, i);
  const next = skipSpace(expr, i);
  if (GROUPING.has(word)) {
    if (expr[next] !== '(') return i;
    const end = closing(expr, next);
    out.groupingLabels.push(...splitTopLevel(expr.slice(next + 1, end)).map((l) => l.trim()));
    return end + 1;
  }
  // `sum by (x) (…)`: the aggregator's grouping comes before its parenthesis
  const aggregatorFirst = AGGREGATORS.has(word) && /^(by|without)\s*\(/.test(expr.slice(next));
  if (expr[next] === '(' || aggregatorFirst) {
    if (!PROMQL_FUNCTIONS.has(word)) out.errors.push(`unknown function '${word}'`);
    out.functions.push(word);
    return aggregatorFirst ? i : next;
  }
  if (KEYWORDS.has(word.toLowerCase())) return i;
  if (expr[next] !== '{') {
    out.selectors.push({ metric: word, labels: [] });
    return i;
  }
  const end = closing(expr, next);
  out.selectors.push({ metric: word, labels: matcherLabels(expr.slice(next + 1, end), out.errors) });
  return end + 1;
}
