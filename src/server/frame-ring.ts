/**
 * The last frames of the event stream, kept for clients that reconnect with a Last-Event-ID: a ring of a
 * fixed number of frames with consecutive sequence numbers, where a new frame overwrites the oldest (an
 * array trimmed with splice moved every kept frame on every event once full).
 */
export class FrameRing {
  private readonly frames: string[];
  /** Sequence number of the oldest frame held (meaningless while empty). */
  private first = 0;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.frames = new Array<string>(capacity).fill('');
  }

  /** Sequence number of the oldest frame held, or null when empty. */
  get oldest(): number | null {
    return this.size === 0 ? null : this.first;
  }

  /** Adds the frame numbered `seq`: the number after the newest held, or any number when empty. */
  push(seq: number, frame: string): void {
    if (this.size === 0) this.first = seq;
    this.frames[seq % this.capacity] = frame;
    if (this.size < this.capacity) this.size++;
    else this.first++;
  }

  /** The frames numbered after `seq`, oldest first, as one string. */
  after(seq: number): string {
    let text = '';
    for (let n = Math.max(seq + 1, this.first); n < this.first + this.size; n++) text += this.frames[n % this.capacity] ?? '';
    return text;
  }

  /** Forgets every frame (and lets go of their strings). */
  clear(): void {
    this.frames.fill('');
    this.size = 0;
  }
}
