/**
 * Ordering of 32-byte hashes held as 8 little-endian 32-bit words (the layout of the Keccak state and of the tree's
 * nodes), shared by the tree builder and the fast CSV ingestion. Internal: not re-exported from the package.
 */

/** 32-bit words per hash. */
const WORDS = 8;

/** `w` with its bytes reversed, as an unsigned number: the big-endian value of a little-endian word. */
export function byteSwap(w: number): number {
  return ((w << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
}

/** Compares two hashes as unsigned 256-bit big-endian numbers (the byte order of `bytes32`). */
export function compareHashes(a: Int32Array, ao: number, b: Int32Array, bo: number): number {
  for (let j = 0; j < WORDS; j++) {
    const x = a[ao + j];
    const y = b[bo + j];
    if (x !== y) return byteSwap(x) < byteSwap(y) ? -1 : 1;
  }
  return 0;
}

/**
 * The input positions of `n` hashes (8 words each, `stride` words apart from `words[base]`) sorted ascending as
 * unsigned 256-bit numbers, equal hashes in input order (as `Array.prototype.sort`, which is stable, leaves them): a
 * stable LSD radix sort on the first 32 bits (two 16-bit passes), then each run of equal first words sorted by the full
 * hash.
 */
export function sortedLeafOrder(words: Int32Array, base: number, n: number, stride = WORDS): Uint32Array {
  const prefix = new Uint32Array(n);
  let order = new Uint32Array(n);
  let spare = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    prefix[i] = byteSwap(words[base + i * stride]);
    order[i] = i;
  }
  const counts = new Uint32Array(65_537);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((prefix[i] >>> shift) & 0xffff) + 1]++;
    for (let d = 1; d <= 65_536; d++) counts[d] += counts[d - 1];
    for (let k = 0; k < n; k++) {
      const i = order[k];
      spare[counts[(prefix[i] >>> shift) & 0xffff]++] = i;
    }
    [order, spare] = [spare, order];
  }
  for (let k = 0; k < n;) {
    let end = k + 1;
    while (end < n && prefix[order[end]] === prefix[order[k]]) end++;
    if (end - k > 1) {
      order.subarray(k, end).sort((a, b) => compareHashes(words, base + a * stride, words, base + b * stride) || a - b);
    }
    k = end;
  }
  return order;
}
