/**
 * The `dispatcher.*` RPC methods with Kamailio 5.6.3's parameters, reply texts and faults
 * (dispatcher.c, dispatcher_rpc_*). Parameters are positional; like jsonrpcs, a number is
 * accepted where a string is expected and a decimal string where an int is expected.
 */
import type { Dispatcher, LoadReport, StateTarget } from '../dispatcher/dispatcher.js';
import type { ErrorCode } from '../shared/errors.js';
import { RpcFault } from './json-rpc.js';
import type { RpcMethod } from './json-rpc.js';
import type { ReloadGate } from './reload-gate.js';
import { dispatcherListPieces, listMode } from './rpc-list.js';
import type { ListBlocks } from './rpc-list.js';

/** What a reload of the list file gives: the diff, or every `file:line: reason` (LIST_READ, LIST_SYNTAX, LIST_ENTRY). */
export type ReloadOutcome = { ok: true; report: LoadReport } | { ok: false; code: ErrorCode; errors: readonly string[] };

export interface PingSwitch {
  get(): boolean;
  set(on: boolean): void;
}

export interface RpcContext {
  dispatcher: Dispatcher;
  gate: ReloadGate;
  reload(options: { reset: boolean }): Promise<ReloadOutcome>;
  pingActive: PingSwitch;
  listBlocks: ListBlocks;
}

export const TEXT = {
  reloaded: 'Ok. Dispatcher successfully reloaded.',
  stateUpdated: 'Ok. Dispatcher state updated.',
  added: 'Ok. Dispatcher destination added.',
  removed: 'Ok. Dispatcher destination removed.',
} as const;

const fault = (message: string): RpcFault => new RpcFault(500, message);

/** An int parameter ('d'); undefined when absent or not an integer. */
function intParam(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^[+-]?\d{1,10}$/.test(v)) return Number(v);
  return undefined;
}

/** A string parameter ('S'); numbers are converted as jsonrpcs does. */
function textParam(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function setStateMethod(ctx: RpcContext, by: 'uri' | 'duid'): RpcMethod {
  return (params) => {
    const state = textParam(params[0]);
    const group = intParam(params[1]);
    const dest = textParam(params[2]);
    if (state === undefined || group === undefined || dest === undefined) throw fault('Invalid Parameters');
    if (state === '') throw fault('Invalid State Parameter');
    const target: StateTarget = dest === 'all' ? 'all' : by === 'uri' ? { uri: dest } : { duid: dest };
    const result = ctx.dispatcher.setState(group, target, state);
    if (!result.ok) throw fault(result.error.code === 'RPC_UNKNOWN_STATE' ? 'Unknown State Value' : 'State Update Failed');
    return TEXT.stateUpdated;
  };
}

function pingActiveMethod(ctx: RpcContext): RpcMethod {
  return (params) => {
    const old = ctx.pingActive.get() ? 1 : 0;
    if (params.length === 0) return { OldPingState: old };
    const state = intParam(params[0]);
    if (state === undefined) throw fault('Invalid Parameters');
    ctx.pingActive.set(state !== 0);
    return { NewPingState: state, OldPingState: old };
  };
}

/** Runs a list change through the reload gate, refusing it within reload_delta like Kamailio. */
function gated<T>(ctx: RpcContext, change: () => Promise<T>): Promise<T> {
  if (ctx.gate.busy()) throw fault('Ongoing reload');
  return ctx.gate.run(change);
}

/** dispatcher.add / dispatcher.remove change the list in memory, as Kamailio does; the next reload from the file drops the change. */
function addMethod(ctx: RpcContext): RpcMethod {
  return (params) => {
    const group = intParam(params[0]);
    const address = textParam(params[1]);
    const flags = params.length > 2 ? intParam(params[2]) : 0;
    const priority = params.length > 3 ? intParam(params[3]) : 0;
    const attrs = params.length > 4 ? textParam(params[4]) : '';
    if (group === undefined || address === undefined || flags === undefined || priority === undefined || attrs === undefined) {
      throw fault('Invalid Parameters');
    }
    return gated(ctx, async () => {
      if (!ctx.dispatcher.add(group, address, flags, priority, attrs).ok) throw fault('Adding dispatcher dst failed');
      return TEXT.added;
    });
  };
}

function removeMethod(ctx: RpcContext): RpcMethod {
  return (params) => {
    const group = intParam(params[0]);
    const address = textParam(params[1]);
    if (group === undefined || address === undefined) throw fault('Invalid Parameters');
    return gated(ctx, async () => {
      if (ctx.dispatcher.remove(group, address) === 0) throw fault('Removing dispatcher dst failed');
      return TEXT.removed;
    });
  };
}

function reloadMethod(ctx: RpcContext): RpcMethod {
  return () =>
    gated(ctx, async () => {
      const outcome = await ctx.reload({ reset: false });
      if (!outcome.ok) throw fault('Reload Failed');
      return TEXT.reloaded;
    });
}

function listMethod(ctx: RpcContext): RpcMethod {
  return (params) => {
    const result = dispatcherListPieces(ctx.dispatcher.lazyList(), listMode(params[0]), ctx.listBlocks);
    if (!result) throw fault('No Destination Sets');
    return result;
  };
}

function hashMethod(ctx: RpcContext): RpcMethod {
  return (params) => {
    const nslots = intParam(params[0]);
    const v1 = textParam(params[1]);
    const v2 = params.length > 2 ? textParam(params[2]) : undefined;
    if (nslots === undefined || v1 === undefined) throw fault('Invalid Parameters');
    const { hashid, slot } = ctx.dispatcher.hash(nslots, v1, v2);
    return { hashid, slot };
  };
}

/** The method table of POST /RPC. */
export function rpcMethods(ctx: RpcContext): ReadonlyMap<string, RpcMethod> {
  return new Map<string, RpcMethod>([
    ['dispatcher.reload', reloadMethod(ctx)],
    ['dispatcher.list', listMethod(ctx)],
    ['dispatcher.set_state', setStateMethod(ctx, 'uri')],
    ['dispatcher.set_duid_state', setStateMethod(ctx, 'duid')],
    ['dispatcher.ping_active', pingActiveMethod(ctx)],
    ['dispatcher.add', addMethod(ctx)],
    ['dispatcher.remove', removeMethod(ctx)],
    ['dispatcher.hash', hashMethod(ctx)],
  ]);
}
