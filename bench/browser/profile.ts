// What the page's threads spend their time on, from a Chromium trace and a CPU profile of the
// main thread taken while the benchmark feeds the elements (run.ts --profile). Node side only.
//
// - Trace: busy share of each thread of the page's renderer process (the union of its top-level
//   tasks), and the main thread's self time by trace event (script, style, layout, paint, GC...).
// - CPU profile (CDP Profiler, the main thread's isolate): JS self time by function and by file.

/** A Chromium trace event (the fields we read). */
export interface TraceEvent {
  pid: number;
  tid: number;
  ph: string;
  name: string;
  cat: string;
  ts: number; // microseconds
  dur?: number;
  /** Thread (CPU) time of the event, where the platform gives it: less than dur when descheduled. */
  tdur?: number;
  args?: {
    name?: string;
    data?: { functionName?: string; url?: string; lineNumber?: number };
  };
}

/** A CDP Profiler.Profile (the fields we read). */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export const TRACE_CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.stack',
  'v8',
  'v8.execute',
  'blink',
  'cc',
];

export interface ThreadBusy {
  name: string;
  /** Wall time inside top-level tasks, and its share of the traced span. */
  busyMs: number;
  share: number;
  /** CPU time of those tasks (NaN without thread times): busy minus the time spent waiting for a core. */
  cpuMs: number;
}

export interface NameTime {
  name: string;
  selfMs: number;
  share: number;
  count: number;
  /** Self CPU time, from trace thread times (absent for CPU profiles). */
  cpuMs?: number;
}

/** Script entry points (trace FunctionCall events, with what they call): where a thread's JS goes. */
export interface CallTime {
  name: string;
  count: number;
  wallMs: number;
  /** NaN without thread times. */
  cpuMs: number;
}

export interface TraceSummary {
  seconds: number;
  /** Frames the main thread produced (its LayerTreeHost::DoUpdateLayers, one per commit). */
  frames: number;
  threads: ThreadBusy[];
  mainSelf: NameTime[];
  mainCalls: CallTime[];
  /** All the page's dedicated workers together. */
  workerCalls: CallTime[];
}

/** Sum of the union of [start, end) intervals. */
function unionLength(intervals: [number, number][]): number {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let s = -Infinity;
  let e = -Infinity;
  for (const [a, b] of intervals) {
    if (a > e) {
      if (e > s) total += e - s;
      s = a;
      e = b;
    } else if (b > e) e = b;
  }
  if (e > s) total += e - s;
  return total;
}

/** Complete ('X') events plus B/E pairs turned into complete events, for one thread. */
function completeEvents(events: TraceEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  const open: TraceEvent[] = [];
  for (const e of events) {
    if (e.ph === 'X' && e.dur !== undefined) out.push(e);
    else if (e.ph === 'B') open.push(e);
    else if (e.ph === 'E') {
      const b = open.pop();
      if (b) out.push({ ...b, ph: 'X', dur: e.ts - b.ts });
    }
  }
  return out;
}

/** The events not nested in another of the list. */
function outermost(events: TraceEvent[]): TraceEvent[] {
  const sorted = [...events].sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const out: TraceEvent[] = [];
  let end = -Infinity;
  for (const e of sorted) {
    if (e.ts >= end) {
      out.push(e);
      end = e.ts + e.dur!;
    }
  }
  return out;
}

/** Self time by event name: each event's duration less that of the events nested in it. */
function selfTimes(
  events: TraceEvent[],
): Map<string, { self: number; selfCpu: number; count: number }> {
  const xs = completeEvents(events).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const acc = new Map<string, { self: number; selfCpu: number; count: number }>();
  interface Open {
    e: TraceEvent;
    end: number;
    child: number;
    childCpu: number;
  }
  const stack: Open[] = [];
  const close = (top: Open): void => {
    const name = labelOf(top.e);
    const a = acc.get(name) ?? { self: 0, selfCpu: 0, count: 0 };
    a.self += Math.max(0, top.e.dur! - top.child);
    a.selfCpu += top.e.tdur !== undefined ? Math.max(0, top.e.tdur - top.childCpu) : NaN;
    a.count++;
    acc.set(name, a);
  };
  for (const e of xs) {
    const end = e.ts + e.dur!;
    while (stack.length > 0 && stack[stack.length - 1].end <= e.ts) close(stack.pop()!);
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.child += Math.min(end, parent.end) - e.ts;
      parent.childCpu += e.tdur ?? 0;
    }
    stack.push({ e, end, child: 0, childCpu: 0 });
  }
  while (stack.length > 0) close(stack.pop()!);
  return acc;
}

/** FunctionCall events carry the script: "FunctionCall (/src/chart.ts)". */
function labelOf(e: TraceEvent): string {
  const url = e.args?.data?.url;
  if ((e.name === 'FunctionCall' || e.name === 'EvaluateScript') && url) {
    return `${e.name} (${shortUrl(url)})`;
  }
  return e.name;
}

export function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname.startsWith('/') && (u.protocol === 'http:' || u.protocol === 'https:')
      ? u.pathname
      : url;
  } catch {
    return url;
  }
}

/** FunctionCall events of some threads by function, with their total wall and CPU time. */
function callTimes(events: TraceEvent[]): CallTime[] {
  const acc = new Map<string, CallTime>();
  for (const e of completeEvents(events)) {
    if (e.name !== 'FunctionCall') continue;
    const d = e.args?.data;
    const where = d?.url ? ` ${shortUrl(d.url)}:${(d.lineNumber ?? 0) + 1}` : '';
    const name = `${d?.functionName || '(anonymous)'}${where}`;
    const a = acc.get(name) ?? { name, count: 0, wallMs: 0, cpuMs: 0 };
    a.count++;
    a.wallMs += e.dur! / 1000;
    a.cpuMs += e.tdur !== undefined ? e.tdur / 1000 : NaN;
    acc.set(name, a);
  }
  return [...acc.values()].sort((a, b) => b.wallMs - a.wallMs);
}

/** Summarises a trace: the renderer whose main thread did the most, its threads, its main thread. */
export function summariseTrace(events: TraceEvent[]): TraceSummary {
  const threadName = new Map<string, string>();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) {
      threadName.set(`${e.pid}:${e.tid}`, e.args.name);
    }
  }
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.ph === 'M') continue;
    const key = `${e.pid}:${e.tid}`;
    let list = byThread.get(key);
    if (!list) byThread.set(key, (list = []));
    list.push(e);
  }
  // the page's renderer: the CrRendererMain with the most events
  let mainKey = '';
  for (const [key, list] of byThread) {
    if (threadName.get(key) !== 'CrRendererMain') continue;
    if (!mainKey || list.length > byThread.get(mainKey)!.length) mainKey = key;
  }
  if (!mainKey) {
    return { seconds: 0, frames: 0, threads: [], mainSelf: [], mainCalls: [], workerCalls: [] };
  }
  const pid = mainKey.split(':')[0];
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const e of byThread.get(mainKey)!) {
    if (e.ph !== 'X' && e.ph !== 'B' && e.ph !== 'E') continue;
    t0 = Math.min(t0, e.ts);
    t1 = Math.max(t1, e.ts + (e.dur ?? 0));
  }
  const span = Math.max(1, t1 - t0);
  const threads: ThreadBusy[] = [];
  for (const [key, list] of byThread) {
    if (key.split(':')[0] !== pid) continue;
    const top = outermost(
      completeEvents(list).filter((e) => e.cat.split(',').includes('toplevel')),
    );
    if (top.length === 0) continue;
    const busy = unionLength(top.map((e) => [e.ts, e.ts + e.dur!]));
    const cpu = top.every((e) => e.tdur !== undefined)
      ? top.reduce((sum, e) => sum + e.tdur!, 0)
      : NaN;
    threads.push({
      name: threadName.get(key) ?? key,
      busyMs: busy / 1000,
      share: busy / span,
      cpuMs: cpu / 1000,
    });
  }
  threads.sort((a, b) => b.busyMs - a.busyMs);
  const self = selfTimes(byThread.get(mainKey)!);
  const mainSelf = [...self]
    .map(([name, a]) => ({
      name,
      selfMs: a.self / 1000,
      share: a.self / span,
      count: a.count,
      cpuMs: a.selfCpu / 1000,
    }))
    .sort((a, b) => b.selfMs - a.selfMs);
  const workerEvents = [...byThread]
    .filter(
      ([key]) => key.split(':')[0] === pid && threadName.get(key) === 'DedicatedWorker thread',
    )
    .flatMap(([, list]) => list);
  return {
    seconds: span / 1e6,
    frames: self.get('LayerTreeHost::DoUpdateLayers')?.count ?? 0,
    threads,
    mainSelf,
    mainCalls: callTimes(byThread.get(mainKey)!),
    workerCalls: callTimes(workerEvents),
  };
}

export interface ProfileSummary {
  seconds: number;
  byFunction: NameTime[];
  byFile: NameTime[];
}

/** JS self time by function and by file, from the samples of a CDP CPU profile. */
export function summariseProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // each sample's time is the gap to the next one
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < deltas.length ? deltas[i + 1] : 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const span = Math.max(1, profile.endTime - profile.startTime);
  const fn = new Map<string, { us: number; count: number }>();
  const file = new Map<string, { us: number; count: number }>();
  const add = (m: typeof fn, key: string, us: number): void => {
    const a = m.get(key) ?? { us: 0, count: 0 };
    a.us += us;
    a.count++;
    m.set(key, a);
  };
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    const url = cf.url ? shortUrl(cf.url) : '';
    const name = cf.functionName || (url ? '(anonymous)' : '(native)');
    add(fn, url ? `${name} ${url}:${cf.lineNumber + 1}` : name, us);
    add(file, url || (name.startsWith('(') ? name : '(native)'), us);
  }
  const list = (m: typeof fn): NameTime[] =>
    [...m]
      .map(([name, a]) => ({ name, selfMs: a.us / 1000, share: a.us / span, count: a.count }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return { seconds: span / 1e6, byFunction: list(fn), byFile: list(file) };
}
