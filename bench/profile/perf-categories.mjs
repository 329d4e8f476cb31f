// Sums a `perf record -g` file (bench/profile/perf-step.sh) by thread and by kind of work: kernel,
// our JavaScript, V8's builtins, compiler and collector, malloc, libuv, Node's C++; then the inclusive
// time of the entry points that say what the work was for (UDP receive, send, MessagePort, timers).
//   node bench/profile/perf-categories.mjs OUT.data [SECONDS (default 5)]
import { execFileSync } from 'node:child_process';

const [file, secondsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile/perf-categories.mjs OUT.data [SECONDS]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 5);
const report = (...args) => execFileSync('perf', ['report', '-i', file, '--stdio', '-g', 'none', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
const self = report('--no-children', '--sort', 'pid,sym');
const total = Number(/Event count \(approx\.\): (\d+)/.exec(self)?.[1] ?? 0) / 1e9;
const msPerS = (pct) => (pct / 100) * total * 1000 / seconds;

function kind(sym, kernel) {
  if (kernel) return 'kernel';
  if (/Scavenge|Heap::|MarkCompact|Marking|Sweeper|Evacuat|RememberedSet/.test(sym)) return 'V8 collector';
  if (/compiler::|Maglev|Turbofan|Compile/.test(sym)) return 'V8 compiler';
  if (sym.startsWith('JS:')) return 'JavaScript';
  if (sym.startsWith('Builtins_')) return 'V8 builtins';
  if (/\buv_|uv__/.test(sym)) return 'libuv';
  if (sym.includes('node::')) return "Node's C++";
  if (/^(_int_malloc|_int_free|malloc|free|cfree|unlink_chunk|malloc_consolidate)/.test(sym)) return 'malloc';
  if (sym.includes('v8::')) return 'V8 other';
  return 'other';
}

const threads = new Map();
const kinds = new Map();
for (const line of self.split('\n')) {
  const m = /^\s+([\d.]+)%\s+(\d+):\S+\s+\[(.)\]\s+(.*)$/.exec(line);
  if (!m) continue;
  const ms = msPerS(Number(m[1]));
  threads.set(m[2], (threads.get(m[2]) ?? 0) + ms);
  const k = kind(m[4].trim(), m[3] === 'k');
  kinds.set(k, (kinds.get(k) ?? 0) + ms);
}
const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
console.log(`${file}: ${(total * 1000 / seconds).toFixed(0)} ms of CPU per second`);
console.log('by thread:');
for (const [tid, ms] of sorted(threads).slice(0, 4)) console.log(`  ${ms.toFixed(1).padStart(7)} ms/s  thread ${tid}`);
console.log('by kind of work:');
for (const [k, ms] of sorted(kinds)) console.log(`  ${ms.toFixed(1).padStart(7)} ms/s  ${k}`);

const ENTRY = /\] (uv__io_poll|node::UDPWrap::OnRecv|node::UDPWrap::Send|node::worker::MessagePort::OnMessage|node::worker::Message::Serialize|node::worker::Message::Deserialize|uv__run_timers|v8::internal::Heap::CollectGarbage|do_epoll_wait|seq_read_iter|__x64_sys_futex)\s*$/;
const inclusive = new Map();
for (const line of report('--children', '--sort', 'sym').split('\n')) {
  const m = /^\s+([\d.]+)%\s+[\d.]+%\s+\[.\]\s+(.*)$/.exec(line);
  const e = m && ENTRY.exec(`] ${m[2].trim()}`);
  if (e) inclusive.set(e[1], (inclusive.get(e[1]) ?? 0) + msPerS(Number(m[1])));
}
console.log('inclusive, by entry point:');
for (const [k, ms] of sorted(inclusive)) console.log(`  ${ms.toFixed(1).padStart(7)} ms/s  ${k}`);
