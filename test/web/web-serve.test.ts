// The playground's static server: only files under its folder, no traversal, isolation headers, loopback.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, resolveRequest, startServer } from "../../web/serve.js";

const SECRET = "TOP-SECRET-CONTENT";
let base: string;
let root: string;
let server: RunningServer;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the target sent byte for byte (no client-side normalization). */
function raw(
  target: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: server.port,
        path: target,
        method: init.method ?? "GET",
        headers: init.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("latin1"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  base = mkdtempSync(path.join(tmpdir(), "nabla-serve-"));
  root = path.join(base, "dist");
  mkdirSync(path.join(root, "assets"), { recursive: true });
  writeFileSync(
    path.join(root, "index.html"),
    `<!doctype html><title>ok</title>${"<p>padding</p>".repeat(200)}`,
  );
  writeFileSync(path.join(root, "assets", "app-abc123.js"), "export const x = 1;\n");
  writeFileSync(path.join(root, "assets", "font.woff2"), Buffer.from([0x77, 0x4f, 0x46, 0x32]));
  writeFileSync(path.join(root, ".env"), SECRET);
  writeFileSync(path.join(base, "secret.txt"), SECRET);
  symlinkSync(path.join(base, "secret.txt"), path.join(root, "link.txt"));
  server = await startServer({ root, port: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(base, { recursive: true, force: true });
});

describe("web/serve.ts", () => {
  it("binds to loopback by default and prints a loopback URL", () => {
    const a = server.server.address();
    expect(typeof a === "object" && a?.address).toBe("127.0.0.1");
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it("serves the built files with MIME types and cross-origin isolation headers", async () => {
    const index = await raw("/");
    expect(index.status).toBe(200);
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(index.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(index.headers["cross-origin-embedder-policy"]).toBe("require-corp");
    expect(index.headers["x-content-type-options"]).toBe("nosniff");
    expect(index.headers["content-security-policy"]).toContain("script-src 'self'");
    // Thread pool workers start from Blob URLs; JavaScript eval stays forbidden.
    expect(index.headers["content-security-policy"]).toContain("worker-src 'self' blob:");
    expect(index.headers["content-security-policy"]).not.toContain("'unsafe-eval'");
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.body).toContain("<title>ok</title>");
    const js = await raw("/assets/app-abc123.js?v=1");
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toContain("immutable");
    expect((await raw("/assets/font.woff2")).headers["content-type"]).toBe("font/woff2");
    expect((await raw("/index.html", { method: "HEAD" })).body).toBe("");
    const gz = await raw("/", { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    const etag = String(index.headers.etag);
    expect((await raw("/", { headers: { "if-none-match": etag } })).status).toBe(304);
  });

  it.each([
    "/../secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/assets/../../secret.txt",
    "/assets/..%2F..%2Fsecret.txt",
    "/..%5csecret.txt",
    "/assets/%2e%2e%5c%2e%2e%5csecret.txt",
    "/%252e%252e/secret.txt",
    "/link.txt",
    "/.env",
    "/%2eenv",
    "/index.html%00.js",
    "/%c0%ae%c0%ae/secret.txt",
    "//etc/passwd",
    "/assets",
    "/nope.html",
  ])("refuses %s without leaking anything", async (target) => {
    const r = await raw(target);
    expect([400, 403, 404]).toContain(r.status);
    expect(r.body).not.toContain(SECRET);
    expect(r.headers["cross-origin-opener-policy"]).toBe("same-origin");
  });

  it("answers only GET and HEAD", async () => {
    const r = await raw("/", { method: "POST" });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe("GET, HEAD");
  });

  it("resolves paths inside the root only", async () => {
    expect((await resolveRequest(root, "/")).status).toBe(200);
    expect((await resolveRequest(root, "/../secret.txt")).status).toBe(403);
    expect((await resolveRequest(root, "/%E0%A4%A")).status).toBe(400);
    expect((await resolveRequest(root, "relative")).status).toBe(400);
    expect((await resolveRequest(root, `/${"a".repeat(3000)}`)).status).toBe(414);
  });

  it("starts from the command line and prints its URL", async () => {
    const tsx = path.resolve("node_modules/tsx/dist/cli.mjs");
    const child = execFile(process.execPath, [tsx, "web/serve.ts", "--port", "0", "--dir", root]);
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /nabla playground: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    });
    try {
      const port = Number(new URL(line).port);
      expect(port).toBeGreaterThan(0);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
