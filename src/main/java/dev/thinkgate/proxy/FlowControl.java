package dev.thinkgate.proxy;

/**
 * Couples the upstream response being read and the client's writes. Backpressure: the client side
 * pauses when its queue is full and resumes on drain; a new upstream call (a MoreThink round, a
 * restart) inherits the paused state. Batching: what one upstream read produces for the client
 * is written once, when the read has been processed. Event-loop confined.
 */
final class FlowControl {
  /** What can be held back: the upstream response being read. */
  interface Source {
    void pause();

    void resume();
  }

  private Source current;
  private boolean paused;
  private boolean inRead;
  private Runnable afterRead;

  void attach(Source response) {
    current = response;
    if (paused) {
      response.pause();
    }
  }

  /** The call reading {@code response} ended; whatever is left of it is read freely. */
  void detach(Source response) {
    if (current == response) {
      current = null;
      if (paused) {
        response.resume();
      }
    }
  }

  void pause() {
    if (!paused) {
      paused = true;
      if (current != null) {
        current.pause();
      }
    }
  }

  void resume() {
    if (paused) {
      paused = false;
      if (current != null) {
        current.resume();
      }
    }
  }

  /** Sets what runs at the end of each upstream read (the client side's flush). */
  void afterRead(Runnable flush) {
    this.afterRead = flush;
  }

  /** An upstream read is being processed: writes it produces wait for {@link #readEnded()}. */
  void readStarted() {
    inRead = true;
  }

  /** The read is processed: the client side writes what it produced. */
  void readEnded() {
    if (inRead) {
      inRead = false;
      if (afterRead != null) {
        afterRead.run();
      }
    }
  }

  /** True while an upstream read is processed and a flush is sure to follow it. */
  boolean inRead() {
    return inRead && afterRead != null;
  }

  boolean paused() {
    return paused;
  }
}
