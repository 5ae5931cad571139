/**
 * What the contract suite needs from an implementation. `create()` returns a
 * fresh fixture on its own key prefix, so tests never race on keys.
 */
import type { CacheHandler, CacheHandlerValue, InvalidationResult } from "../../packages/kv-cache-handler/src/index.js";
import type { CountingKV } from "../helpers/counting-kv.js";

export interface TestClock {
  now(): number;
  advance(ms: number): void;
  /** Waits "virtually": advances the clock instead of sleeping. */
  sleep(ms: number): Promise<void>;
}

export interface HandlerUnderTest extends CacheHandler {
  invalidate?(tags: string | string[], durations?: { expire?: number }): Promise<InvalidationResult>;
}

export interface HandlerFixture {
  /** The handler, on a counting wrapper around Miniflare's real KV. */
  handler: HandlerUnderTest;
  /** Another handler on the same namespace and prefix: a different isolate. */
  another(): HandlerUnderTest;
  counting: CountingKV<KVNamespace>;
  /** The unwrapped binding, for writing damaged bytes underneath the handler. */
  rawKV: KVNamespace;
  clock: TestClock;
  /** Where `key` is stored in KV. */
  locate(key: string): Promise<string>;
  /** Whether the handler reports coded errors (`onError`); cases check reports only when it does. */
  reportsErrors?: boolean;
  /** Errors the handler reported (`onError`) and warnings it logged. */
  errors: { code: string; message: string }[];
  warnings: string[];
  /**
   * How the handler keeps its tag clock, for the cost cases: one record per tag
   * in KV, a coordinator's snapshot, or its own way (another implementation).
   */
  tagClock: "kv" | "coordinator" | "own";
  /** Extra options for the handler (e.g. a short read timeout). */
  with(options: Record<string, unknown>): HandlerUnderTest;
}

export interface ContractOptions {
  name: string;
  create(): Promise<HandlerFixture> | HandlerFixture;
  /** Case names this implementation cannot pass, each with the reason (logged). */
  skip?: Record<string, string>;
}

export type Case = (name: string, fn: (f: HandlerFixture) => Promise<void>) => void;

export type { CacheHandlerValue };
