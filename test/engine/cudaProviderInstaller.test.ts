/**
 * "Install CUDA Provider" against a NuGet-style server on 127.0.0.1 serving a test package: the
 * libraries land in storage and beside the binding; a bad checksum, a missing package and a
 * cancelled download install nothing and say why.
 */
import AdmZip from 'adm-zip';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelledError, SinkLensError } from '../../src/engine/errors';
import { installCudaProvider } from '../../src/engine/runtime/cudaProviderInstaller';

const VERSION = '1.30.0';
const LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'];

function testPackage(): Buffer {
  const zip = new AdmZip();
  for (const library of LIBRARIES) zip.addFile(`runtimes/linux-x64/native/${library}`, Buffer.from(`test contents of ${library}`));
  zip.addFile('README.md', Buffer.from('test package'));
  return zip.toBuffer();
}

describe('CUDA provider installer (local test server)', { skip: process.platform !== 'linux' || process.arch !== 'x64' ? 'the package exists for linux-x64 only' : false }, () => {
  let server: Server;
  let base: string;
  const nupkg = testPackage();
  const routes = new Map<string, { status: number; body: Buffer; slow?: boolean }>();
  const path = (folder: string) => `/${folder}/microsoft.ml.onnxruntime.gpu.linux/${VERSION}/microsoft.ml.onnxruntime.gpu.linux.${VERSION}.nupkg`;

  before(async () => {
    const good = createHash('sha512').update(nupkg).digest('base64');
    routes.set(path('good'), { status: 200, body: nupkg });
    routes.set(`${path('good')}.sha512`, { status: 200, body: Buffer.from(good) });
    routes.set(path('tampered'), { status: 200, body: Buffer.concat([nupkg, Buffer.from('x')]) });
    routes.set(`${path('tampered')}.sha512`, { status: 200, body: Buffer.from(good) });
    routes.set(`${path('slow')}.sha512`, { status: 200, body: Buffer.from(good) });
    routes.set(path('slow'), { status: 200, body: nupkg, slow: true });
    server = createServer((request, response) => {
      const route = routes.get(request.url ?? '');
      if (!route) return void response.writeHead(404).end('not found');
      response.writeHead(route.status, { 'content-length': route.body.length });
      if (route.slow) {
        response.write(route.body.subarray(0, 10)); // then stall until the client gives up
        return;
      }
      response.end(route.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const folders = () => ({ storageFolder: mkdtempSync(join(tmpdir(), 'sink-lens-cuda-store-')), binaryFolder: mkdtempSync(join(tmpdir(), 'sink-lens-cuda-bin-')) });

  it('downloads, verifies and places the provider libraries', async () => {
    const { storageFolder, binaryFolder } = folders();
    const progress: number[] = [];
    const result = await installCudaProvider({ source: `${base}/good/`, storageFolder, binaryFolder, version: VERSION, onProgress: (received) => progress.push(received) });
    assert.equal(result.sha512, createHash('sha512').update(nupkg).digest('base64'));
    assert.deepEqual(readdirSync(binaryFolder).sort(), LIBRARIES);
    for (const library of LIBRARIES) assert.equal(readFileSync(join(binaryFolder, library), 'utf8'), `test contents of ${library}`);
    assert.ok(existsSync(join(storageFolder, `onnxruntime-${VERSION}`, LIBRARIES[0])));
    assert.equal(progress[progress.length - 1], nupkg.length, 'progress reaches the full size');
  });

  it('a package that does not match its SHA-512 installs nothing', async () => {
    const { storageFolder, binaryFolder } = folders();
    await assert.rejects(installCudaProvider({ source: `${base}/tampered`, storageFolder, binaryFolder, version: VERSION }), (error: unknown) => {
      assert.ok(error instanceof SinkLensError);
      assert.equal(error.code, 'cuda-checksum-mismatch');
      return true;
    });
    assert.deepEqual(readdirSync(binaryFolder), []);
  });

  it('a missing package says which URL failed', async () => {
    const { storageFolder, binaryFolder } = folders();
    await assert.rejects(installCudaProvider({ source: `${base}/nowhere/`, storageFolder, binaryFolder, version: VERSION }), /HTTP 404; check the source/);
    assert.deepEqual(readdirSync(binaryFolder), []);
  });

  it('cancelling a download stops it and installs nothing', async () => {
    const { storageFolder, binaryFolder } = folders();
    const controller = new AbortController();
    const pending = installCudaProvider({ source: `${base}/slow/`, storageFolder, binaryFolder, version: VERSION, signal: controller.signal, onProgress: () => controller.abort() });
    await assert.rejects(pending, (error: unknown) => error instanceof CancelledError);
    assert.deepEqual(readdirSync(binaryFolder), []);
  });
});
