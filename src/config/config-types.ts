/** The validated config's types, derived from config-schema.ts at compile time (keys keep Kamailio's names). */
import type { FromSchema } from 'json-schema-to-ts';
import type { HepCollectorSpec, HostPort, ListenSpec } from '../shared/addresses.js';
import type { configSchema, routeSchema } from './config-schema.js';

/** One entry of `routes`, as validated (defaults filled). */
export type RouteConfig = FromSchema<typeof routeSchema>;

/** The validated config file, defaults filled: derived from the schema, never written twice. */
export type RawConfig = FromSchema<typeof configSchema>;

export interface Config extends Readonly<RawConfig> {
  readonly configFile: string | undefined;
  readonly listenSpecs: readonly ListenSpec[];
  readonly httpAddress: { readonly host: string; readonly port: number };
  readonly advertiseAddress: HostPort | undefined;
  /** `hep.collector` parsed; undefined = no HEP capture. */
  readonly hepCollector: HepCollectorSpec | undefined;
}
