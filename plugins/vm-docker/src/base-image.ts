/**
 * A Node.js runtime image built with no registry: `docker import` of a root file system assembled
 * from this machine — the `node` binary running this process (so the same version as the peer),
 * the shared libraries `ldd` lists for it and the dynamic loader, a minimal /etc/passwd and
 * /etc/group, and /tmp. No shell, no npm, no CA certificates. It serves as
 * `chaincode.node.runtime` where Fabric's `hyperledger/fabric-nodeenv` cannot be pulled. Test
 * suites use it through `test-support`; an operator command can call it too.
 */
import { execFile } from 'node:child_process';
import { realpath, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { tarStream, type TarEntry } from './tar.js';

const run = promisify(execFile);

/** The tag used when none is given: one per Node.js version, so an upgrade builds a new image. */
export function defaultNodeBaseImage(): string {
  return `fabric-peer/node-base:node-${process.version}`;
}

/** What {@link ensureNodeBaseImage} did. */
export interface BaseImageResult {
  readonly tag: string;
  /** False when the tag existed already and nothing was built. */
  readonly built: boolean;
  /** The image's ID. */
  readonly id: string;
}

/** Splits `repo[:tag]` (a `:` after the last `/` starts the tag). */
function splitTag(ref: string): { repo: string; tag: string } {
  const i = ref.lastIndexOf(':');
  return i > ref.lastIndexOf('/')
    ? { repo: ref.slice(0, i), tag: ref.slice(i + 1) }
    : { repo: ref, tag: 'latest' };
}

/** The libraries `ldd` lists for `binary`: the path the loader looks for, and the file it is. */
export async function sharedLibraries(binary: string): Promise<{ path: string; file: string }[]> {
  const { stdout } = await run('ldd', [binary]);
  const libs: { path: string; file: string }[] = [];
  for (const line of stdout.split('\n')) {
    // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` or `/lib64/ld-linux-x86-64.so.2 (0x...)`
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (m?.[1] === undefined) continue;
    libs.push({ path: m[1], file: await realpath(m[1]) });
  }
  if (libs.length === 0) throw new Error(`ldd lists no libraries for ${binary}: ${stdout}`);
  return libs;
}

/** The root file system's entries. */
async function rootFs(node: string): Promise<TarEntry[]> {
  const text = (path: string, body: string): TarEntry => ({
    type: 'file',
    path,
    data: Buffer.from(body, 'utf8'),
  });
  const dirs = new Set([
    'etc',
    'root',
    'tmp',
    'usr',
    'usr/local',
    'usr/local/bin',
    'usr/local/src',
  ]);
  const files: TarEntry[] = [];
  for (const lib of await sharedLibraries(node)) {
    const path = lib.path.slice(1);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    files.push({
      type: 'file',
      path,
      source: lib.file,
      size: (await stat(lib.file)).size,
      mode: 0o755,
    });
  }
  files.push({
    type: 'file',
    path: 'usr/local/bin/node',
    source: node,
    size: (await stat(node)).size,
    mode: 0o755,
  });
  files.push(
    text(
      'etc/passwd',
      'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
    ),
    text('etc/group', 'root:x:0:\nnogroup:x:65534:\n'),
    text('etc/nsswitch.conf', 'hosts: files dns\n'),
  );
  return [
    ...[...dirs]
      .sort()
      .map((path): TarEntry => ({ type: 'dir', path, mode: path === 'tmp' ? 0o1777 : 0o755 })),
    ...files,
  ];
}

/**
 * Makes sure the engine has a Node.js runtime image tagged `tag`: nothing is done when the tag
 * exists (whatever its content), otherwise the image is imported from this machine's `node`.
 */
export async function ensureNodeBaseImage(
  docker: Docker,
  tag: string = defaultNodeBaseImage(),
): Promise<BaseImageResult> {
  try {
    const info = await docker.getImage(tag).inspect();
    return { tag, built: false, id: info.Id };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const node = await realpath(process.execPath);
  const { repo, tag: version } = splitTag(tag);
  const res = await docker.importImage(tarStream(await rootFs(node)), {
    repo,
    tag: version,
    changes: [
      'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
      'WORKDIR /usr/local/src',
      `LABEL org.hyperledger.fabric-peer.node-version=${process.version}`,
      'CMD ["node"]',
    ],
  } as Record<string, unknown>);
  let answer = '';
  for await (const chunk of res) answer += String(chunk);
  const failure = answer
    .split('\n')
    .map((l) => {
      try {
        return JSON.parse(l) as { error?: string };
      } catch {
        return {};
      }
    })
    .find((e) => e.error !== undefined);
  if (failure?.error !== undefined)
    throw new Error(`docker import of ${tag} failed: ${failure.error}`);
  const info = await docker.getImage(tag).inspect();
  return { tag, built: true, id: info.Id };
}
