/**
 * Keeps the first and the last bytes of a stream up to a cap, so a program that prints without
 * end cannot fill memory while the beginning (the error) and the end (the verdict) survive.
 */
export class HeadTailBuffer {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  /** Appends one chunk. */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const headCap = Math.ceil(this.maxBytes / 2);
    if (this.headBytes < headCap) {
      const take = chunk.subarray(0, headCap - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    const tailCap = Math.floor(this.maxBytes / 2);
    while (this.tailBytes - this.tail[0].length >= tailCap) this.tailBytes -= this.tail.shift()!.length;
    if (this.tailBytes > tailCap) {
      const over = this.tailBytes - tailCap;
      this.tail[0] = this.tail[0].subarray(over);
      this.tailBytes -= over;
    }
  }

  /** True when bytes were dropped. */
  get truncated(): boolean {
    return this.total > this.headBytes + this.tailBytes;
  }

  /** The kept text (UTF-8), with a marker where bytes were dropped. */
  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    if (!this.truncated) return head + tail;
    return `${head}\n…[${this.total - this.headBytes - this.tailBytes} bytes dropped]…\n${tail}`;
  }
}

/** Keeps only the first bytes of a stream (the fd 3 side channel, where the beginning is what counts). */
export class HeadBuffer {
  private parts: Buffer[] = [];
  private bytes = 0;
  truncated = false;

  constructor(private readonly maxBytes: number) {}

  /** Appends one chunk. */
  push(chunk: Buffer): void {
    if (this.bytes + chunk.length > this.maxBytes) {
      this.truncated = true;
      chunk = chunk.subarray(0, this.maxBytes - this.bytes);
    }
    if (chunk.length === 0) return;
    this.parts.push(chunk);
    this.bytes += chunk.length;
  }

  /** The kept text (UTF-8). */
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}
