// The SDK requires Node's `crypto` for exactly three things (sha256, AES-256-CBC encrypt and
// decrypt, always called as update()+final()); this module provides them in the browser.
import { sha256 } from '@noble/hashes/sha2.js';
import { cbc } from '@noble/ciphers/aes.js';
import { Buffer } from 'buffer';

const toBytes = (data, encoding) => (typeof data === 'string' ? Buffer.from(data, encoding || 'utf8') : Buffer.from(data));

export function createHash(algorithm) {
  if (algorithm !== 'sha256') throw new Error(`unsupported hash ${algorithm}`);
  const chunks = [];
  return {
    update(data, encoding) {
      chunks.push(toBytes(data, encoding));
      return this;
    },
    digest(encoding) {
      const out = Buffer.from(sha256(Buffer.concat(chunks)));
      return encoding ? out.toString(encoding) : out;
    },
  };
}

function cipher(decrypting, algorithm, key, iv) {
  if (algorithm !== 'aes-256-cbc') throw new Error(`unsupported cipher ${algorithm}`);
  const chunks = [];
  let padding = true;
  return {
    setAutoPadding(on = true) {
      padding = on;
      return this;
    },
    // All input is processed in final(); update() only collects it.
    update(data, encoding) {
      chunks.push(toBytes(data, encoding));
      return Buffer.alloc(0);
    },
    final() {
      const mode = cbc(Uint8Array.from(key), Uint8Array.from(iv), { disablePadding: !padding });
      const input = Uint8Array.from(Buffer.concat(chunks));
      return Buffer.from(decrypting ? mode.decrypt(input) : mode.encrypt(input));
    },
  };
}

export const createCipheriv = (algorithm, key, iv) => cipher(false, algorithm, key, iv);
export const createDecipheriv = (algorithm, key, iv) => cipher(true, algorithm, key, iv);
export default { createHash, createCipheriv, createDecipheriv };
