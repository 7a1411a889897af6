/**
 * One request/reply mechanism for every channel of Sink Lens (host ↔ worker, host ↔ each webview),
 * after vscode-hexeditor's MessageHandler: each side declares what it answers (requests, with their
 * parameters, reply and progress events) and what it hears (one-way events) in a typed table; a
 * request returns a promise of its reply, progress events are tied to the request's id, failures
 * arrive as the one ErrorPayload shape, and a request can be cancelled. Everything that arrives is
 * checked against the other side's table before anyone uses it; what fails is dropped and reported.
 */
import { isObject, ProtocolViolation, type Check } from './checks';
import { errorPayload } from './documentChecks';
import { CancelledError, fromErrorPayload, SinkLensError, toErrorPayload, type ErrorPayload } from './errors';

/** A request one side answers: its parameters, its reply, and the progress events it may send first. */
export interface RequestSpec {
  params: unknown;
  result: unknown;
  progress: unknown;
}

/** What one side of a channel answers and hears. */
export interface Side {
  requests: Record<string, RequestSpec>;
  events: Record<string, unknown>;
}

export type RequestType<S extends Side> = keyof S['requests'] & string;
export type EventType<S extends Side> = keyof S['events'] & string;
export type Params<S extends Side, K extends RequestType<S>> = S['requests'][K]['params'];
export type Result<S extends Side, K extends RequestType<S>> = S['requests'][K]['result'];
export type Progress<S extends Side, K extends RequestType<S>> = S['requests'][K]['progress'];

/** The checks of everything sent to or by one side: used by whichever endpoint receives it. */
export interface SideChecks<S extends Side> {
  params: { [K in RequestType<S>]: Check<Params<S, K>> };
  results: { [K in RequestType<S>]: Check<Result<S, K>> };
  progress: { [K in RequestType<S>]: Check<Progress<S, K>> };
  events: { [K in EventType<S>]: Check<S['events'][K]> };
}

/** What travels: structured-clone- (worker, webview) and JSON-safe (a restored webview's state aside). */
export type Envelope =
  | { kind: 'request'; id: number; type: string; params: unknown }
  | { kind: 'progress'; inReplyTo: number; progress: unknown }
  | { kind: 'reply'; inReplyTo: number; result: unknown }
  | { kind: 'error'; inReplyTo: number; error: ErrorPayload }
  | { kind: 'cancel'; id: number }
  | { kind: 'event'; type: string; body: unknown };

export interface RequestContext<P> {
  /** Aborted when the requester cancels. */
  signal: AbortSignal;
  progress(progress: P): void;
}

export type RequestHandlers<S extends Side> = {
  [K in RequestType<S>]: (params: Params<S, K>, context: RequestContext<Progress<S, K>>) => Result<S, K> | Promise<Result<S, K>>;
};
export type EventHandlers<S extends Side> = { [K in EventType<S>]: (body: S['events'][K]) => void };

export interface RequestOptions<P> {
  onProgress?(progress: P): void;
  /** Aborting cancels the request (see EndpointOptions.onAbort). */
  signal?: AbortSignal;
}

export interface EndpointOptions<Local extends Side, Remote extends Side> {
  /** Checks of what this side hears: requests it answers, events it handles. */
  local: SideChecks<Local>;
  /** Checks of the replies and progress of the other side's requests. */
  remote: SideChecks<Remote>;
  send(envelope: Envelope): void;
  /** A message that failed its check (dropped; a reply that fails rejects its request). */
  onViolation?(violation: ProtocolViolation, received: unknown): void;
  /** What aborting a request's signal does; by default, cancel(id). */
  onAbort?(id: number): void;
}

interface Pending {
  type: string;
  resolve(result: unknown): void;
  reject(error: Error): void;
  onProgress?(progress: unknown): void;
}

export class Endpoint<Local extends Side, Remote extends Side> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, AbortController>();
  private requestHandlers: Partial<RequestHandlers<Local>> = {};
  private eventHandlers: Partial<EventHandlers<Local>> = {};

  constructor(private readonly options: EndpointOptions<Local, Remote>) {}

  /** Answers the other side's requests with these handlers (a thrown error becomes the error reply). */
  serve(handlers: Partial<RequestHandlers<Local>>): this {
    this.requestHandlers = handlers;
    return this;
  }

  /** Handles the other side's events with these. */
  listen(handlers: Partial<EventHandlers<Local>>): this {
    this.eventHandlers = handlers;
    return this;
  }

  request<K extends RequestType<Remote>>(type: K, params: Params<Remote, K>, options: RequestOptions<Progress<Remote, K>> = {}): Promise<Result<Remote, K>> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const id = this.nextId++;
    return new Promise<Result<Remote, K>>((resolve, reject) => {
      const onAbort = () => (this.options.onAbort ?? ((abortedId: number) => this.cancel(abortedId)))(id);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        type,
        resolve: (result) => (settle(), resolve(result as Result<Remote, K>)),
        reject: (error) => (settle(), reject(error)),
        onProgress: options.onProgress as Pending['onProgress'],
      });
      try {
        this.options.send({ kind: 'request', id, type, params });
      } catch (error) {
        this.settle(id)?.reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  notify<K extends EventType<Remote>>(type: K, body: Remote['events'][K]): void {
    this.options.send({ kind: 'event', type, body });
  }

  /** Tells the other side to stop request `id` and fails it here at once. */
  cancel(id: number): void {
    const pending = this.settle(id);
    if (!pending) return;
    this.options.send({ kind: 'cancel', id });
    pending.reject(new CancelledError());
  }

  /** Fails every request in flight (the other side went away). */
  failAll(error: Error): void {
    const all = [...this.pending.keys()].map((id) => this.settle(id));
    for (const pending of all) pending?.reject(error);
  }

  /** Ids of the requests in flight, oldest first. */
  inFlight(): number[] {
    return [...this.pending.keys()];
  }

  /** Everything that arrives goes through here. */
  receive(received: unknown): void {
    try {
      this.dispatch(received);
    } catch (error) {
      if (!(error instanceof ProtocolViolation)) throw error;
      this.options.onViolation?.(error, received);
    }
  }

  private dispatch(received: unknown): void {
    const envelope = envelopeOf(received);
    switch (envelope.kind) {
      case 'request':
        return this.answer(envelope.id, envelope.type, envelope.params);
      case 'event': {
        const type = known(this.options.local.events, envelope.type, 'event');
        const body = this.options.local.events[type](envelope.body, type);
        (this.eventHandlers[type] as ((body: unknown) => void) | undefined)?.(body);
        return;
      }
      case 'cancel':
        this.running.get(envelope.id)?.abort();
        return;
      case 'progress': {
        const pending = this.pending.get(envelope.inReplyTo);
        if (!pending) return; // a request already settled (cancelled) here
        const check = this.options.remote.progress[pending.type as RequestType<Remote>];
        pending.onProgress?.(this.orFail(envelope.inReplyTo, () => check(envelope.progress, `${pending.type} progress`)));
        return;
      }
      case 'reply': {
        const pending = this.pending.get(envelope.inReplyTo);
        if (!pending) return;
        const check = this.options.remote.results[pending.type as RequestType<Remote>];
        const result = this.orFail(envelope.inReplyTo, () => check(envelope.result, `${pending.type} reply`));
        this.settle(envelope.inReplyTo)?.resolve(result);
        return;
      }
      case 'error':
        this.settle(envelope.inReplyTo)?.reject(fromErrorPayload(envelope.error));
        return;
    }
  }

  /** A reply or progress that fails its check fails its request too (and is reported). */
  private orFail<T>(id: number, check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof ProtocolViolation) this.settle(id)?.reject(new SinkLensError('runtime', 'bad-message', `a malformed message arrived (${error.message})`));
      throw error;
    }
  }

  private answer(id: number, rawType: string, rawParams: unknown): void {
    let type: RequestType<Local>;
    let params: unknown;
    try {
      type = known(this.options.local.params, rawType, 'request');
      params = this.options.local.params[type](rawParams, `${type} request`);
    } catch (error) {
      // Answered, so that the requester does not wait for ever; then reported as any bad message.
      if (error instanceof ProtocolViolation) this.options.send({ kind: 'error', inReplyTo: id, error: { category: 'usage', code: 'bad-message', message: error.message } });
      throw error;
    }
    const handler = this.requestHandlers[type] as ((params: unknown, context: RequestContext<unknown>) => unknown) | undefined;
    const controller = new AbortController();
    this.running.set(id, controller);
    const context: RequestContext<unknown> = {
      signal: controller.signal,
      progress: (progress) => {
        if (this.running.get(id) === controller) this.options.send({ kind: 'progress', inReplyTo: id, progress });
      },
    };
    void (async () => {
      try {
        if (!handler) throw new SinkLensError('runtime', 'not-handled', `nothing here answers '${type}'`);
        const result = await handler(params, context);
        if (controller.signal.aborted) throw new CancelledError();
        this.options.send({ kind: 'reply', inReplyTo: id, result });
      } catch (error) {
        this.options.send({ kind: 'error', inReplyTo: id, error: toErrorPayload(controller.signal.aborted ? new CancelledError() : error) });
      } finally {
        this.running.delete(id);
      }
    })();
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }
}

const KINDS = new Set(['request', 'progress', 'reply', 'error', 'cancel', 'event']);
const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
const fail = (at: string, expected: string): never => {
  throw new ProtocolViolation(at, expected);
};

/** The envelope, with its own fields checked (its payload is checked by the table's checks). */
function envelopeOf(value: unknown): Envelope {
  if (!isObject(value) || typeof value.kind !== 'string' || !KINDS.has(value.kind)) throw new ProtocolViolation('message', 'a Sink Lens message');
  const kind = value.kind as Envelope['kind'];
  const id = (field: 'id' | 'inReplyTo') => (isId(value[field]) ? value[field] : fail(`${kind}.${field}`, 'a positive integer'));
  const type = () => (typeof value.type === 'string' ? value.type : fail(`${kind}.type`, 'a string'));
  switch (kind) {
    case 'request':
      return { kind, id: id('id'), type: type(), params: value.params };
    case 'cancel':
      return { kind, id: id('id') };
    case 'event':
      return { kind, type: type(), body: value.body };
    case 'progress':
      return { kind, inReplyTo: id('inReplyTo'), progress: value.progress };
    case 'reply':
      return { kind, inReplyTo: id('inReplyTo'), result: value.result };
    case 'error':
      return { kind, inReplyTo: id('inReplyTo'), error: errorPayload(value.error, 'error.error') };
  }
}

function known<T extends string>(table: Record<T, unknown>, type: string, what: string): T {
  if (!Object.hasOwn(table, type)) throw new ProtocolViolation(`${what}.type`, `one of ${Object.keys(table).join(', ')}`);
  return type as T;
}
