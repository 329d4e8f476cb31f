/**
 * Kamailio siptrace's RPC: `siptrace.status on|off|check` switches HEP capture at run time and
 * answers `Enabled` or `Disabled` (siptrace_rpc.c); registered only when capture is configured,
 * like the method of a module that is not loaded.
 */
import { RpcFault, type RpcMethod } from './json-rpc.js';
import type { PingSwitch } from './rpc-methods.js';

export function siptraceStatusMethod(capture: PingSwitch): RpcMethod {
  return (params) => {
    const word = typeof params[0] === 'string' ? params[0].toLowerCase() : undefined;
    if (word === 'on') capture.set(true);
    else if (word === 'off') capture.set(false);
    else if (word !== 'check') throw new RpcFault(500, 'Bad parameter (on, off or check)');
    return capture.get() ? 'Enabled' : 'Disabled';
  };
}
