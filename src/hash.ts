/**
 * Hashes and random ids, with node:crypto loaded when one is first asked for:
 * loading it costs a short command ~15 ms of CPU (more than a whole cycle),
 * and a steady `lookout check` asks for none (ids are made when a
 * notification is, hashes when a receiver sends). `fingerprint` needs no
 * crypto at all: it tells whether a file changed, it protects nothing.
 */
let crypto: typeof import("node:crypto") | undefined;
// process.getBuiltinModule (Node 20.16), not createRequire: importing node:module loads parts of Node's ES module
// loader with it, ~1.5 ms of every short command.
function loaded(): typeof import("node:crypto") {
  crypto ??= process.getBuiltinModule("node:crypto");
  return crypto;
}

/** SHA-256 of `text` (UTF-8), in hex. */
export function sha256Hex(text: string): string {
  return loaded().createHash("sha256").update(text, "utf8").digest("hex");
}

/** A random UUID (v4). */
export function randomId(): string {
  return loaded().randomUUID();
}

/** `bytes` random bytes, in hex. */
export function randomHex(bytes: number): string {
  return loaded().randomBytes(bytes).toString("hex");
}

/**
 * A 64-bit fingerprint of `text` (two 32-bit FNV-1a lanes over its UTF-16 code units), in hex: whether a file is
 * the one seen before. Not for anything an adversary could choose to collide.
 */
export function fingerprint(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}
