/**
 * sipdispatch's own pressure as the relay reads it: two fields and a counter, read per message
 * without allocating. The transport's PressureMonitor writes them; the relay sheds and excuses.
 */
export interface PressureGauge {
  /** Above a threshold now (event-loop delay, UDP receive backlog or drops). */
  readonly pressured: boolean;
  /** Shed new initial requests now (shedding enabled and shedShare > 0). */
  readonly shedding: boolean;
  /** Which share of the new initial requests to shed, 0..1 (0.25: one in four). */
  readonly shedShare: number;
  /**
   * Increases at every sample that found pressure: two different reads mean sipdispatch was under
   * pressure at some time in between (a timeout in that window is excused).
   */
  readonly epoch: number;
}

/** No monitor: never pressured (tests, benches, tools). */
export const NO_PRESSURE: PressureGauge = Object.freeze({ pressured: false, shedding: false, shedShare: 0, epoch: 0 });
