/** FNV-1a over UTF-16 code units: stable across runs and machines, cheap enough for 100k assets. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * `stableHash` followed by murmur3's finaliser, which spreads inputs differing in one character
 * over all 32 bits: for values read as uniform fractions (the simulated fleet's dice).
 */
export function mixedStableHash(text: string): number {
  let h = stableHash(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A fraction in [0, 1) derived from the text. */
export function stableFraction(text: string): number {
  return stableHash(text) / 0x1_0000_0000;
}
