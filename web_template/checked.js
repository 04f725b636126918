// A file the manifest names with its bytes and sha256, fetched with progress and checked: a truncated, replaced
// or corrupted file is an Error that names it, never a silently wrong ranking. Used by the engine (codes.bin)
// and the worker (model.onnx).

async function sha256Hex(buffer) {
  if (!globalThis.crypto?.subtle) return null; // plain http on a non-local host: sizes are still checked
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** entry: {file, bytes, sha256}; url: where it is; onBytes(n) as bytes arrive. Resolves to an ArrayBuffer. */
export async function fetchChecked(entry, url, onBytes = () => {}) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${entry.file}: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const chunks = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    onBytes(value.length);
  }
  const bytes = new Uint8Array(got);
  for (let at = 0, i = 0; i < chunks.length; at += chunks[i].length, i++) bytes.set(chunks[i], at);
  if (got !== entry.bytes) throw new Error(`${entry.file} is ${got} bytes, the manifest says ${entry.bytes}: truncated or replaced`);
  const hash = await sha256Hex(bytes.buffer);
  if (hash && hash !== entry.sha256) throw new Error(`${entry.file} does not match its sha256 in manifest.json: corrupted`);
  return bytes.buffer;
}
