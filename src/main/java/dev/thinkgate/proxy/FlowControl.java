package dev.thinkgate.proxy;

/**
 * Backpressure between the client's write queue and the upstream response currently being read:
 * the client side pauses when its queue is full and resumes on drain; a new upstream call (a
 * MoreThink round, a restart) inherits the paused state. Event-loop confined.
 */
final class FlowControl {
  /** What can be held back: the upstream response being read. */
  interface Source {
    void pause();

    void resume();
  }

  private Source current;
  private boolean paused;

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

  boolean paused() {
    return paused;
  }
}
