// A small static server for the built playground: only files under web/dist, loopback by default,
// cross-origin isolation headers (so workers can share memory), no directory listings, no traversal.
import { createReadStream, existsSync } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

export const DEFAULT_PORT = 5173;
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_ROOT = fileURLToPath(new URL("./dist/", import.meta.url));

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".svg", ".map", ".txt"]);

/** Headers on every response: isolation (SharedArrayBuffer for worker threads) and a strict policy. */
export const SECURITY_HEADERS: Record<string, string> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy": [
    "default-src 'self'",
    // WebAssembly (the SIMD kernels) may compile; JavaScript eval stays forbidden.
    "script-src 'self' 'wasm-unsafe-eval'",
    // The thread pool's Web Workers start from a Blob URL of their script.
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
};

export interface ServeOptions {
  /** The folder to serve (default web/dist). Nothing outside it is ever read. */
  root?: string;
  /** A fixed port; 0 picks a free one. Without it: 5173, or the next free port up to 5193. */
  port?: number;
  host?: string;
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

type Resolved =
  | { status: 200; file: string; size: number; mtimeMs: number }
  | { status: 400 | 403 | 404 | 414; reason: string };

/**
 * Maps a request target to a file under `root`, or says why not. The path is percent-decoded once;
 * `..` segments, backslashes, NUL bytes and dot-files are refused before touching the disk, and the real
 * path (symlinks resolved) must still lie inside the root.
 */
export async function resolveRequest(root: string, target: string): Promise<Resolved> {
  if (target.length > 2048) return { status: 414, reason: "request target too long" };
  if (!target.startsWith("/")) return { status: 400, reason: "bad request target" };
  const pathname = target.split(/[?#]/, 1)[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { status: 400, reason: "malformed percent-encoding" };
  }
  if (decoded.includes("\0") || decoded.includes("\\"))
    return { status: 400, reason: "forbidden character in path" };
  const segments = decoded.split("/");
  if (segments.some((s) => s === "..")) return { status: 403, reason: "path traversal" };
  if (segments.some((s) => s.startsWith(".") && s !== ".")) return { status: 404, reason: "not found" };
  let rel = path.posix.normalize(decoded);
  if (rel.endsWith("/")) rel += "index.html";
  const base = path.resolve(root);
  const abs = path.resolve(base, `.${rel}`);
  if (abs !== base && !abs.startsWith(base + path.sep))
    return { status: 403, reason: "outside the served folder" };
  try {
    const [realBase, real] = await Promise.all([realpath(base), realpath(abs)]);
    if (!real.startsWith(realBase + path.sep)) return { status: 403, reason: "outside the served folder" };
    const st = await stat(real);
    if (!st.isFile()) return { status: 404, reason: "not found" };
    return { status: 200, file: real, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return { status: 404, reason: "not found" };
  }
}

const gzipCache = new Map<string, Buffer>();

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
    res.end("method not allowed\n");
    return;
  }
  const r = await resolveRequest(root, req.url ?? "/");
  if (r.status !== 200) {
    res.writeHead(r.status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
    res.end(`${r.status} ${r.reason}\n`);
    return;
  }
  const ext = path.extname(r.file).toLowerCase();
  const etag = `"${r.size.toString(16)}-${Math.floor(r.mtimeMs).toString(16)}"`;
  const immutable = /[/\\]assets[/\\]/.test(r.file.slice(path.resolve(root).length));
  res.setHeader("Content-Type", MIME[ext] ?? "application/octet-stream");
  res.setHeader("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.setHeader("ETag", etag);
  res.setHeader("Vary", "Accept-Encoding");
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  const gzip =
    COMPRESSIBLE.has(ext) && r.size > 1024 && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  if (gzip) {
    const key = `${r.file}:${etag}`;
    let body = gzipCache.get(key);
    if (!body) {
      const { readFile } = await import("node:fs/promises");
      body = gzipSync(await readFile(r.file), { level: 6 });
      gzipCache.set(key, body);
    }
    res.writeHead(200, { "Content-Encoding": "gzip", "Content-Length": body.length });
    res.end(req.method === "HEAD" ? undefined : body);
    return;
  }
  res.writeHead(200, { "Content-Length": r.size });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(r.file)
    .on("error", () => res.destroy())
    .pipe(res);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off("listening", onListening);
      reject(e);
    };
    const onListening = () => {
      server.off("error", onError);
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127\./.test(host);

/** Starts serving `root`; resolves once listening, with the URL to open. */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const root = path.resolve(options.root ?? DEFAULT_ROOT);
  const host = options.host ?? DEFAULT_HOST;
  const server = createServer((req, res) => {
    handle(root, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("500 internal error\n");
    });
  });
  server.keepAliveTimeout = 5000;
  let port: number | undefined;
  if (options.port !== undefined) port = await listen(server, options.port, host);
  else {
    for (let p = DEFAULT_PORT; p <= DEFAULT_PORT + 20 && port === undefined; p++) {
      try {
        port = await listen(server, p, host);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
      }
    }
    port ??= await listen(server, 0, host);
  }
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return {
    server,
    port,
    host,
    url: `http://${shown}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseArgs(argv: readonly string[]): ServeOptions & { help?: boolean } {
  const out: ServeOptions & { help?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--port" || flag === "-p") {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535)
        throw new Error(`--port: give a port number from 0 to 65535`);
      out.port = p;
    } else if (flag === "--host") out.host = value();
    else if (flag === "--dir") out.root = path.resolve(value());
    else if (flag === "--help" || flag === "-h") out.help = true;
    else throw new Error(`unknown option ${flag} (try --help)`);
  }
  return out;
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`serve: ${(e as Error).message}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(
      "Serves the built playground (web/dist).\n\n  --port N    port (default 5173, else the next free one; 0 = any free port)\n  --host H    interface (default 127.0.0.1, loopback only; 0.0.0.0 exposes it to your network)\n  --dir D     folder to serve (default web/dist)",
    );
    return;
  }
  const root = opts.root ?? DEFAULT_ROOT;
  if (!existsSync(path.join(root, "index.html"))) {
    console.error(
      `serve: ${root} has no index.html; build first: npx vite build --config web/vite.config.ts (npm start does both)`,
    );
    process.exit(1);
  }
  let s: RunningServer;
  try {
    s = await startServer(opts);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    console.error(
      err.code === "EADDRINUSE"
        ? `serve: port ${opts.port} is in use; pick another with --port`
        : `serve: ${err.message}`,
    );
    process.exit(1);
  }
  console.log(`\n  nabla playground: ${s.url}\n`);
  if (!isLoopback(s.host))
    console.log(`  warning: listening on ${s.host}, reachable from other machines on your network\n`);
  console.log("  press Ctrl+C to stop");
  const stop = () => void s.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) void main();
