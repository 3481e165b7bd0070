/** The part of autocannon's API the soak uses; the package ships no types. */
declare module 'autocannon' {
  export interface Histogram {
    average: number;
    mean: number;
    total: number;
    p50: number;
    p99: number;
    max: number;
  }
  /** One request of the sequence each connection loops over. */
  export interface SequenceRequest {
    method?: 'GET' | 'PUT' | 'DELETE' | 'POST';
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /**
     * Adjusts the request before it is sent, with the connection's context; returning a falsy
     * value sends nothing and starts the sequence again from the first request.
     */
    setupRequest?: (request: SequenceRequest, context: Record<string, unknown>) => unknown;
    onResponse?: (
      status: number,
      body: string,
      context: Record<string, unknown>,
      headers: Record<string, string | string[]>,
    ) => void;
  }
  export interface Options {
    url: string;
    connections?: number;
    duration?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    requests?: SequenceRequest[];
  }
  export interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    requests: Histogram;
    latency: Histogram;
    statusCodeStats: Record<string, { count: number }>;
  }
  export interface Instance extends PromiseLike<Result> {
    stop(): void;
  }
  function autocannon(options: Options): Instance;
  export default autocannon;
}
