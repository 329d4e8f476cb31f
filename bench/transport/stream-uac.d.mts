/** Types of stream-uac.mjs for the tests that import it. */
export interface StreamCallsOptions {
  transport: 'tls' | 'ws' | 'wss';
  host: string;
  port: number;
  ca?: Buffer;
  calls: number;
  concurrency: number;
  connections?: number;
  callTimeoutMs?: number;
  uri?: string;
}

export interface StreamCallsResult {
  ok: number;
  failed: number;
  seconds: number;
  setupMs: number[];
}

export function runStreamCalls(options: StreamCallsOptions): Promise<StreamCallsResult>;
