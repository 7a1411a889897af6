/**
 * The one request/reply mechanism (src/protocol/rpc.ts) on a small table of its own: replies are
 * paired with their requests whatever the order, progress reaches only its request, failures arrive
 * as the one error shape, a cancel reaches the handler, and what fails its check is dropped and
 * reported (a request with bad parameters is answered with an error, never left waiting).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { integer, literal, none, object, string, type Check } from '../../src/protocol/checks';
import { SinkLensError } from '../../src/protocol/errors';
import { Endpoint, type Envelope, type RequestHandlers, type Side, type SideChecks } from '../../src/protocol/rpc';

interface Server extends Side {
  requests: {
    square: { params: { value: number; delay: number }; result: { squared: number }; progress: { step: string } };
    fail: { params: { code: string }; result: null; progress: never };
    wait: { params: { id: string }; result: null; progress: never };
  };
  events: { hello: { name: string } };
}
interface Client extends Side {
  requests: Record<never, never>;
  events: Record<never, never>;
}

const never: Check<never> = (_value, at) => {
  throw new Error(`${at}: no progress expected`);
};
const serverChecks: SideChecks<Server> = {
  params: { square: object({ value: integer(0, 100), delay: integer(0, 100) }), fail: object({ code: string(20) }), wait: object({ id: string(20) }) },
  results: { square: object({ squared: integer(0, 10_000) }), fail: none, wait: none },
  progress: { square: object({ step: literal('started') }), fail: never, wait: never },
  events: { hello: object({ name: string(10) }) },
};
const clientChecks: SideChecks<Client> = { params: {}, results: {}, progress: {}, events: {} };

function pair(handlers: Partial<RequestHandlers<Server>>) {
  const violations: string[] = [];
  const heard: string[] = [];
  const toServer: Envelope[] = [];
  const client: Endpoint<Client, Server> = new Endpoint<Client, Server>({
    local: clientChecks,
    remote: serverChecks,
    send: (envelope) => (toServer.push(envelope), setImmediate(() => server.receive(envelope))),
  });
  const server: Endpoint<Server, Client> = new Endpoint<Server, Client>({
    local: serverChecks,
    remote: clientChecks,
    send: (envelope) => setImmediate(() => client.receive(envelope)),
    onViolation: (violation) => violations.push(violation.message),
  })
    .serve(handlers)
    .listen({ hello: ({ name }) => heard.push(name) });
  return { client, server, violations, heard, toServer };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Endpoint (one request/reply mechanism)', () => {
  it('pairs each reply with its request, whatever order they come back in, and ties progress to its request', async () => {
    const progress: string[] = [];
    const { client } = pair({
      square: async ({ value, delay }, context) => {
        context.progress({ step: 'started' });
        await sleep(delay);
        return { squared: value * value };
      },
    });
    const slow = client.request('square', { value: 3, delay: 30 }, { onProgress: (p) => progress.push(`3:${p.step}`) });
    const fast = client.request('square', { value: 4, delay: 0 }, { onProgress: (p) => progress.push(`4:${p.step}`) });
    assert.deepEqual(await Promise.all([slow, fast]), [{ squared: 9 }, { squared: 16 }]);
    assert.deepEqual(progress.sort(), ['3:started', '4:started']);
    assert.deepEqual(client.inFlight(), []);
  });

  it('turns a thrown error into the one error shape, and back into a SinkLensError where it arrives', async () => {
    const { client } = pair({ fail: ({ code }) => Promise.reject(new SinkLensError('model', code, 'no such model: choose another')) });
    await assert.rejects(client.request('fail', { code: 'bad-model' }), (error: unknown) => {
      assert.ok(error instanceof SinkLensError);
      assert.deepEqual([error.category, error.code, error.message], ['model', 'bad-model', 'no such model: choose another']);
      return true;
    });
  });

  it('a cancelled request fails at once, and its handler sees the abort', async () => {
    let handlerSignal: AbortSignal | undefined;
    const { client, toServer } = pair({
      wait: async (_params, { signal }) => {
        handlerSignal = signal;
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        return null;
      },
    });
    const abort = new AbortController();
    const pending = client.request('wait', { id: 'x' }, { signal: abort.signal });
    await sleep(5);
    abort.abort();
    await assert.rejects(pending, /cancelled/);
    await sleep(5);
    assert.equal(handlerSignal?.aborted, true);
    assert.deepEqual(
      toServer.map((envelope) => envelope.kind),
      ['request', 'cancel'],
    );
  });

  it('drops what fails its check and reports it; a request with bad parameters is answered with an error', async () => {
    const { client, server, violations, heard } = pair({ square: ({ value }) => ({ squared: value * value }) });
    client.notify('hello', { name: 'ok' });
    server.receive({ kind: 'event', type: 'hello', body: { name: 'far too long a name' } });
    server.receive({ kind: 'event', type: 'nope', body: {} });
    server.receive({ kind: 'reply', inReplyTo: -1, result: null });
    server.receive('not a message');
    await assert.rejects(client.request('square', { value: 1e6, delay: 0 }), (error: unknown) => error instanceof SinkLensError && error.code === 'bad-message');
    await sleep(5);
    assert.deepEqual(heard, ['ok']);
    assert.equal(violations.length, 5, violations.join('\n'));
    assert.match(violations[0], /hello\.name: expected a string of at most 10 characters/);
  });

  it('a reply that fails its check fails its request with one clear error', async () => {
    const { client } = pair({ square: () => ({ squared: -1 }) });
    await assert.rejects(client.request('square', { value: 2, delay: 0 }), /square reply\.squared: expected an integer in \[0, 10000\]/);
  });

  it('failAll fails every request in flight (the other side went away)', async () => {
    const { client } = pair({ wait: () => new Promise<null>(() => undefined) });
    const pending = [client.request('wait', { id: 'a' }), client.request('wait', { id: 'b' })];
    client.failAll(new SinkLensError('runtime', 'worker-exit', 'the worker stopped'));
    for (const outcome of await Promise.allSettled(pending)) assert.ok(outcome.status === 'rejected' && /worker stopped/.test(String(outcome.reason)));
  });
});
