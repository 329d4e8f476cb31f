/**
 * sipdispatch's own pressure as the relay reads it: two fields and a counter, read per message
 * without allocating. The transport's PressureMonitor writes them; the relay sheds and excuses.
 */
export interface PressureGauge {
  /** Above a threshold now (event-loop delay, UDP receive backlog or drops). */
  readonly pressured: boolean;
  /** Shed new initial requests now (pressured and shedding enabled). */
  readonly shedding: boolean;
  /**
   * Increases at every sample that found pressure: two different reads mean sipdispatch was under
   * pressure at some time in between (a timeout in that window is excused).
   */
  readonly epoch: number;
}

/** No monitor: never pressured (tests, benches, tools). */
export const NO_PRESSURE: PressureGauge = Object.freeze({ pressured: false, shedding: false, epoch: 0 });
