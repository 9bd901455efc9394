import { closeSync, openSync, readSync } from "node:fs";

/**
 * Reads small kernel pseudo-files into one reusable buffer. A collection reads thousands
 * of /proc files of a few hundred bytes each; `readFileSync` would stat each one (procfs
 * reports size 0 anyway) and allocate a buffer per file, which dominates the cost.
 * Not shared between collections: each collection makes its own reader.
 */
export class SmallFileReader {
  private readonly buffer: Buffer;

  constructor(capacity = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /**
   * The file's text (at most `capacity` bytes of it), or undefined when the file does not
   * exist (ENOENT) or its process has just exited (ESRCH). Other errors are thrown.
   */
  read(path: string, encoding: "utf8" | "latin1" = "utf8"): string | undefined {
    const length = this.readBytes(path);
    return length === undefined ? undefined : this.buffer.toString(encoding, 0, length);
  }

  private readBytes(path: string): number | undefined {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
    try {
      let length = 0;
      while (length < this.buffer.length) {
        const wanted = this.buffer.length - length;
        const n = readSync(fd, this.buffer, length, wanted, null);
        length += n;
        // A short read is the end: procfs hands out a whole file per read when it fits,
        // and the read that would confirm it with 0 bytes costs a syscall per file.
        if (n < wanted) break;
      }
      return length;
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    } finally {
      closeSync(fd);
    }
  }
}

/** ENOENT: no such file; ESRCH: the process behind a /proc file exited while we read it. */
export function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ESRCH";
}

export function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Reads a file a piece at a time into `onText`, so that a large file never sits in memory
 * at once. Bytes are taken as latin1, one character each: exact for the ASCII fields the
 * package databases are read for (names, versions, architectures), a character is never
 * cut between two pieces, and the strings stay one byte per character, which keeps
 * scanning megabytes of UTF-8 descriptions several times cheaper than decoding them.
 */
export function readInPieces(
  path: string,
  onText: (text: string) => void,
  pieceBytes = 64 * 1024,
): void {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(pieceBytes);
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      onText(buffer.toString("latin1", 0, n));
    }
  } finally {
    closeSync(fd);
  }
}
