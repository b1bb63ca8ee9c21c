// Types of the oep Node SDK (src/index.js).
export const VERSION: string;
export const UNRELEASED: string;
export const CONTROL_RESERVE_BYTES: number;
export const REASONING_KEYS: Set<string>;

export interface RetryPolicy { maxAttempts: number; baseSeconds: number; capSeconds: number }
/** redact(kind, data): the data to send, or null to keep the event (or the session's user fields) in the process. */
export type Redactor = (kind: "event" | "session", data: Record<string, unknown>) => Record<string, unknown> | null;

export interface Options {
  endpoint?: string;            // OEP_ENDPOINT, default http://127.0.0.1:8080
  apiKey?: string;              // OEP_API_KEY
  policy?: string | null;       // OEP_POLICY: the default policy project of gate()
  disabled?: boolean;           // OEP_DISABLED=true wins over this
  redact?: Redactor | null;
  captureReasoning?: boolean;
  maxBufferBytes?: number;
  maxEventBytes?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  shutdownTimeoutMs?: number;
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  gateOnError?: "deny" | "allow";
}

export interface SessionOptions {
  name?: string; userId?: string; release?: string; tags?: string[];
  metadata?: Record<string, unknown>; frameworks?: Record<string, string>; runId?: string;
}

export interface LoggedEvent {
  type: string; payload?: unknown; name?: string; status?: string; summary?: string | null;
}

export class Decision {
  tool: string; decision: string; allowed: boolean; code: string; reason: string; rule: string;
  policy: string; result: unknown; requireApproval: boolean; error: string;
  enforce(): Decision;
}
export class PolicyDenied extends Error { decision: Decision }
export class ApprovalRequired extends PolicyDenied {}

export class ToolCall {
  name: string; args: unknown; decision: Decision | null;
  result<T>(value: T): T;
}

export interface ToolOptions { policy?: string | null; gateInput?: Record<string, unknown> | null }

export class Session {
  readonly runId: string | null;
  logEvent(event: LoggedEvent): void;
  tool<T>(name: string, args: unknown, fn: (t: ToolCall) => Promise<T> | T, options?: ToolOptions): Promise<T>;
  gate(tool: string, input?: Record<string, unknown>, policy?: string | null, query?: string | null): Promise<Decision>;
  finish(): void;
}

export interface Stats { logged: number; sent: number; dropped: number; redacted: number; rejected: number; dropRecords: number }

export class Client {
  constructor(options?: Options);
  readonly disabled: boolean;
  readonly stats: Stats;
  readonly bufferedBytes: number;
  registerIntegration(name: string, version: string): void;
  startSession(options?: SessionOptions): Session;
  session<T>(options: SessionOptions, fn: (s: Session) => Promise<T> | T): Promise<T>;
  gate(tool: string, input?: Record<string, unknown>, policy?: string | null, query?: string | null): Promise<Decision>;
  flush(timeoutMs?: number): Promise<boolean>;
  shutdown(timeoutMs?: number): Promise<void>;
}

export function configFromEnv(overrides?: Options): Required<Options>;
export function disabledByEnv(): boolean;
export function eventTypeOf(kind: string): string;
export function stripReasoning<T>(value: T, removed: string[], path?: string): T;
export function backoffDelay(attempt: number, base: number, cap: number, random?: () => number): number;

export function configure(options?: Options): Client;
export function client(): Client;
export function session<T>(options: SessionOptions, fn: (s: Session) => Promise<T> | T): Promise<T>;
export function startSession(options?: SessionOptions): Session;
export function currentSession(): Session | undefined;
export function tool<T>(name: string, args: unknown, fn: (t: ToolCall) => Promise<T> | T, options?: ToolOptions): Promise<T>;
export function logEvent(event: LoggedEvent): void;
export function gate(tool: string, input?: Record<string, unknown>, policy?: string | null, query?: string | null): Promise<Decision>;
export function registerIntegration(name: string, version: string): void;
export function flush(timeoutMs?: number): Promise<boolean>;
export function shutdown(timeoutMs?: number): Promise<void>;
