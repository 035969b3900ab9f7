/** FNV-1a over UTF-16 code units: stable across runs and machines, cheap enough for 100k assets. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A fraction in [0, 1) derived from the text. */
export function stableFraction(text: string): number {
  return stableHash(text) / 0x1_0000_0000;
}
