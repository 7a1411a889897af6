/**
 * "Install CUDA Provider": onnxruntime-node ships CPU binaries only; its GPU provider libraries
 * come from the Microsoft.ML.OnnxRuntime.Gpu.Linux NuGet package of the same version. We download
 * that package from a NuGet flat-container source, check it against the SHA-512 the source
 * publishes beside it (`<package>.nupkg.sha512`, base64, as NuGet feeds store it), extract the
 * provider libraries into our own storage, and link them next to onnxruntime's binding, where it
 * looks for them. The only network access Sink Lens ever makes, and only when asked.
 */
import AdmZip from 'adm-zip';
import { createHash } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet, IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { CancelledError, SinkLensError } from '../errors';
// Not from sessionFactory: that loads onnxruntime, and the extension host runs this installer.
import { installedOnnxruntimeVersion, onnxruntimeBinaryFolder } from './onnxruntimeFiles';

export const DEFAULT_CUDA_PROVIDER_SOURCE = 'https://api.nuget.org/v3-flatcontainer/';
const PACKAGE = 'microsoft.ml.onnxruntime.gpu.linux';
const LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'];

export interface CudaInstallOptions {
  /** A NuGet flat-container base URL (default nuget.org). */
  source?: string;
  /** Where the downloaded libraries are kept (the extension's global storage). */
  storageFolder: string;
  /** Where onnxruntime looks for them (default: onnxruntime-node's binding folder). */
  binaryFolder?: string;
  version?: string;
  signal?: AbortSignal;
  onProgress?: (receivedBytes: number, totalBytes: number | null) => void;
}

export interface CudaInstallResult {
  version: string;
  packageUrl: string;
  sha512: string;
  installed: string[];
}

export function cudaPackageUrl(source: string, version: string): string {
  return `${source.replace(/\/?$/, '/')}${PACKAGE}/${version}/${PACKAGE}.${version}.nupkg`;
}

export async function installCudaProvider(options: CudaInstallOptions): Promise<CudaInstallResult> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SinkLensError('runtime', 'cuda-unsupported-platform', `the CUDA provider package exists for linux-x64 only, not ${process.platform}-${process.arch}`);
  }
  const version = options.version ?? installedOnnxruntimeVersion();
  const binaryFolder = options.binaryFolder ?? onnxruntimeBinaryFolder();
  if (!binaryFolder) throw new SinkLensError('runtime', 'no-onnxruntime-binding', "onnxruntime-node's binding folder was not found; reinstall the extension");
  const packageUrl = cudaPackageUrl(options.source ?? DEFAULT_CUDA_PROVIDER_SOURCE, version);

  const expected = (await download(`${packageUrl}.sha512`, options.signal)).toString('utf8').trim();
  const archive = await download(packageUrl, options.signal, options.onProgress);
  const actual = createHash('sha512').update(archive).digest('base64');
  if (actual !== expected) {
    throw new SinkLensError('runtime', 'cuda-checksum-mismatch', `the downloaded CUDA provider package does not match its published SHA-512 (${packageUrl}); nothing was installed, try again later`);
  }

  let zip: AdmZip;
  try {
    zip = new AdmZip(archive);
  } catch (error) {
    throw new SinkLensError('runtime', 'cuda-bad-package', `the CUDA provider package is not a readable archive (${(error as Error).message}); nothing was installed`);
  }
  const storage = join(options.storageFolder, `onnxruntime-${version}`);
  mkdirSync(storage, { recursive: true });
  const installed: string[] = [];
  for (const library of LIBRARIES) {
    const entry = zip.getEntry(`runtimes/linux-x64/native/${library}`);
    if (!entry) throw new SinkLensError('runtime', 'cuda-bad-package', `the CUDA provider package has no ${library}; nothing was installed`);
    const kept = join(storage, library);
    writeFileSync(`${kept}.tmp`, entry.getData());
    renameSync(`${kept}.tmp`, kept);
    installed.push(kept);
  }
  for (const kept of installed) placeBeside(kept, join(binaryFolder, kept.slice(storage.length + 1)));
  return { version, packageUrl, sha512: actual, installed: installed.map((kept) => join(binaryFolder, kept.slice(storage.length + 1))) };
}

/** onnxruntime resolves provider libraries next to its own library, so they must be there (a hard link when possible). */
function placeBeside(from: string, to: string): void {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

function download(url: string, signal?: AbortSignal, onProgress?: CudaInstallOptions['onProgress'], redirects = 5): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const request = get(url, { signal }, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location && redirects > 0) {
        response.resume();
        resolve(download(new URL(response.headers.location, url).toString(), signal, onProgress, redirects - 1));
        return;
      }
      if (status !== 200) {
        response.resume();
        reject(new SinkLensError('runtime', 'cuda-download-failed', `downloading ${url} failed: HTTP ${status}; check the source (sinkLens.cudaProviderSource) and the network`));
        return;
      }
      const total = Number(response.headers['content-length']) || null;
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        onProgress?.(received, total);
      });
      response.on('end', () => resolve(Buffer.concat(chunks)));
      response.on('error', (error) => reject(signal?.aborted ? new CancelledError() : error));
    });
    request.on('error', (error) => {
      if (signal?.aborted) reject(new CancelledError());
      else reject(new SinkLensError('runtime', 'cuda-download-failed', `downloading ${url} failed: ${error.message}; check the network or the source (sinkLens.cudaProviderSource)`));
    });
  });
}
