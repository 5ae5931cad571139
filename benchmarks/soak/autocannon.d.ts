// The part of autocannon's API the soak uses (the package ships no types).
declare module "autocannon" {
  interface Histogram {
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    total?: number;
  }
  interface Result {
    errors: number;
    timeouts: number;
    resets: number;
    "2xx": number;
    "5xx": number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram & { sent: number };
    /** Bytes received (headers included). */
    throughput: Histogram;
  }
  interface Client {
    /** Raw headers as [name, value, name, value, …]. */
    on(event: "headers", listener: (info: { statusCode: number; headers: string[] }) => void): void;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    headers?: Record<string, string>;
    requests?: { method?: string; path: string }[];
    setupClient?: (client: Client) => void;
  }
  function autocannon(options: Options): PromiseLike<Result> & { stop(): void };
  export default autocannon;
}
