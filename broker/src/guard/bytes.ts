/** Bytes read and written over every client socket, live ones included. */

/** What of a socket counts its bytes. */
interface ByteCounted {
  bytesRead?: number;
  bytesWritten?: number;
  once(event: 'close', listener: () => void): unknown;
}

export class ByteCounter {
  private readonly live = new Set<ByteCounted>();
  private readonly done = { in: 0, out: 0 };

  /** Count this socket's bytes: live while open, added to the totals when it closes. */
  watch(socket: ByteCounted): void {
    this.live.add(socket);
    socket.once('close', () => {
      this.live.delete(socket);
      this.done.in += socket.bytesRead ?? 0;
      this.done.out += socket.bytesWritten ?? 0;
    });
  }

  totals(): { in: number; out: number } {
    let i = this.done.in;
    let o = this.done.out;
    for (const s of this.live) {
      i += s.bytesRead ?? 0;
      o += s.bytesWritten ?? 0;
    }
    return { in: i, out: o };
  }
}
